import Foundation
import StockpipeCore

/// The simulator as a source: paced to the wall clock for a live demo, or as fast as possible
/// up to a limit (for `--drain` and benchmarks).
public struct SimulatorSource: FeedSource {
    public var configuration: Simulator.Configuration
    /// Stop after this many records; nil runs until stopped.
    public var limit: Int?
    /// Emit each 100 ms window when the wall clock reaches it.
    public var paced: Bool

    public init(configuration: Simulator.Configuration, limit: Int?, paced: Bool) {
        self.configuration = configuration
        self.limit = limit
        self.paced = paced
    }

    public var name: String { "simulator:seed=\(configuration.seed)" }

    public func open(at position: Int64?) throws -> any FeedReader {
        let position = position ?? 0
        if paced {
            // A live market goes on from now: a resumed run continues the window count (so sources
            // stay unique) with a fresh seed, rather than replaying the past in a burst.
            var resumed = configuration
            resumed.seed = configuration.seed &+ UInt64(position)
            resumed.start = WallClock.milliseconds()
            return SimulatorReader(simulator: Simulator(resumed), source: self, position: position, start: resumed.start)
        }
        var simulator = Simulator(configuration)
        // Regenerating what was already read puts the random state where it was.
        for _ in 0..<position { _ = simulator.nextWindow(maxRecords: remaining(simulator)) }
        return SimulatorReader(simulator: simulator, source: self, position: position, start: configuration.start)
    }

    func remaining(_ simulator: Simulator) -> Int {
        limit.map { max($0 - simulator.records, 0) } ?? .max
    }
}

struct SimulatorReader: FeedReader {
    var simulator: Simulator
    let source: SimulatorSource
    private(set) var position: Int64
    /// The position and wall time this reader started at, for pacing.
    private let firstPosition: Int64
    private let start: Int64

    init(simulator: Simulator, source: SimulatorSource, position: Int64, start: Int64) {
        self.simulator = simulator
        self.source = source
        self.position = position
        firstPosition = position
        self.start = start
    }

    mutating func next(maxMessages: Int) async throws -> [FeedMessageText]? {
        var messages: [FeedMessageText] = []
        while messages.count < maxMessages {
            let remaining = source.remaining(simulator)
            if remaining == 0 { return messages.isEmpty ? nil : messages }
            if source.paced {
                let due = start + (position - firstPosition + 1) * Simulator.windowMilliseconds
                let wait = due - WallClock.milliseconds()
                if wait > 0 {
                    if !messages.isEmpty { return messages }
                    try await Task.sleep(for: .milliseconds(wait))
                }
            }
            let lines = simulator.nextWindow(maxRecords: remaining)
            for (index, line) in lines.enumerated() {
                messages.append(FeedMessageText(bytes: line.bytes, label: "@\(position).\(index)"))
            }
            position += 1
        }
        return messages
    }
}
