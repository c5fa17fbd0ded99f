import Foundation
import StockpipeCore
import StockpipeSources
import Testing

@Suite("Sources", .timeLimit(.minutes(3)))
struct SourceTests {
    @Test func theSimulatorIsDeterministic() {
        func lines() -> [[UInt8]] {
            var simulator = Simulator(.init(seed: 42, rate: 500, start: 1_732_480_000_000, badFraction: 0.1))
            return (0..<50).flatMap { _ in simulator.nextWindow().map(\.bytes) }
        }
        #expect(lines() == lines())
        var other = Simulator(.init(seed: 43, rate: 500, start: 1_732_480_000_000, badFraction: 0.1))
        #expect((0..<50).flatMap { _ in other.nextWindow().map(\.bytes) } != lines())
    }

    @Test func simulatedMessagesHoldSeveralTradesOfSeveralSymbols() throws {
        var simulator = Simulator(.init(seed: 1, rate: 1_000, start: 1_732_480_000_000))
        let message = try #require(simulator.nextWindow().first { $0.records > 1 })
        guard case .trades(let ranges) = message.bytes.withUnsafeBytes({ FeedMessage.classify($0) }) else {
            Issue.record("not a trade message")
            return
        }
        let symbols = Set(ranges.compactMap { try? FinnhubTrade.parse(Array(message.bytes[$0])).symbol })
        #expect(ranges.count > 5 && symbols.count > 2)
    }

    /// A paced (live) simulator resumed after a restart goes on from now: it used to wait out the
    /// windows of the earlier run, and then stamp trades in the future.
    @Test func aResumedLiveSimulatorGoesOnFromNow() async throws {
        let source = SimulatorSource(configuration: .init(seed: 1, rate: 1_000, start: 0), limit: nil, paced: true)
        let opened = Int64(Date().timeIntervalSince1970 * 1000)
        var reader = try source.open(at: 600)  // a run that had read a minute of windows
        var messages: [FeedMessageText] = []
        while messages.isEmpty { messages = try await reader.next(maxMessages: 8) ?? [] }
        #expect(reader.position > 600)
        let trade = try #require(
            messages.compactMap { message -> FinnhubTrade? in
                guard case .trades(let ranges) = message.bytes.withUnsafeBytes({ FeedMessage.classify($0) }),
                    let first = ranges.first
                else { return nil }
                return try? FinnhubTrade.parse(Array(message.bytes[first]))
            }.first)
        // Stamped from the moment it was opened on, not replaying the old run's minute.
        let timestamp = try #require(trade.timestamp)
        #expect(timestamp >= opened && timestamp < opened + 60_000)
    }

    @Test func replayResumesAtItsCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: ["one", "two", "three"])
        let source = try ReplaySource(path: file)
        var reader = try source.open(at: nil)
        let first = try await reader.next(maxMessages: 2) ?? []
        #expect(first.map { String(decoding: $0.bytes, as: UTF8.self) } == ["one", "two"])
        var resumed = try source.open(at: reader.position)
        let rest = try await resumed.next(maxMessages: 10) ?? []
        #expect(rest.map { String(decoding: $0.bytes, as: UTF8.self) } == ["three"])
        #expect(rest.first?.label == "@8")
        #expect(try await resumed.next(maxMessages: 10) == nil)
    }

    @Test func aMissingReplayFileIsAClearError() {
        #expect(throws: SourceError.self) { try ReplaySource(path: "/nonexistent/file.ndjson") }
    }
}
