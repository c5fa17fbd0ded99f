import Foundation
import ServiceLifecycle
import StockpipeCore
import StockpipeJSON

/// What `stockpipe health --stage S` reads: when each stage of a process last went round its loop,
/// in `DATA_DIR/health/STAGE.json`, so that a container's health check can tell a stage that
/// works (or waits for input) from one that is stuck, with no port to open.
///
/// ```
/// {"stage":"validate","pid":7,"beat":1733312345678}
/// ```
public struct Heartbeat: Codable, Sendable, Equatable {
    public var stage: PipelineStage
    public var pid: Int32
    /// Unix ms of the stage's last time round its slowest loop.
    public var beat: Int64

    public init(stage: PipelineStage, pid: Int32, beat: Int64) {
        self.stage = stage
        self.pid = pid
        self.beat = beat
    }

    public static func file(of stage: PipelineStage, dataDirectory: String) -> String {
        dataDirectory + "/health/\(stage.rawValue).json"
    }

    func json() throws -> Data {
        Data(try JSONOutput.bytes(self) + Array("\n".utf8))
    }

    /// The heartbeat a process left for `stage`, or nil if there is none (the stage is not running
    /// with this data directory, or it stopped).
    public static func read(_ stage: PipelineStage, dataDirectory: String) throws -> Heartbeat? {
        guard let data = FileManager.default.contents(atPath: file(of: stage, dataDirectory: dataDirectory)) else { return nil }
        guard let heartbeat = try? JSONDecoder().decode(Heartbeat.self, from: data) else {
            throw HeartbeatError.unreadable(path: file(of: stage, dataDirectory: dataDirectory))
        }
        return heartbeat
    }
}

/// A heartbeat file that holds something else: not written by a stage (stages write it whole).
public enum HeartbeatError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "\(path) is not a heartbeat file; remove it"
        }
    }
}

/// Writes the heartbeat of every stage of this process every `interval`, and removes it on the way out.
public struct HeartbeatService: Service {
    let metrics: PipelineMetrics
    let stages: [PipelineStage]
    let dataDirectory: String
    let interval: Duration

    public init(metrics: PipelineMetrics, stages: [PipelineStage], dataDirectory: String, interval: Duration = .seconds(2)) {
        self.metrics = metrics
        self.stages = stages
        self.dataDirectory = dataDirectory
        self.interval = interval
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: dataDirectory + "/health", withIntermediateDirectories: true)
        let pid = ProcessInfo.processInfo.processIdentifier
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for stage in stages {
                    guard let beat = metrics.lastBeat(of: stage) else { continue }
                    // Atomic: a health check never reads half a file.
                    try? Heartbeat(stage: stage, pid: pid, beat: beat).json()
                        .write(to: URL(fileURLWithPath: Heartbeat.file(of: stage, dataDirectory: dataDirectory)), options: .atomic)
                }
                try? await Task.sleep(for: interval)
            }
        }
        for stage in stages {
            try? FileManager.default.removeItem(atPath: Heartbeat.file(of: stage, dataDirectory: dataDirectory))
        }
    }
}
