import Foundation
import ServiceLifecycle
import StockpipeCore

/// Prints one line of progress every few seconds while the pipeline runs: on a terminal it
/// rewrites itself in place, otherwise it is a plain log line.
public struct ProgressReporter: Service {
    let metrics: PipelineMetrics
    let interval: Duration
    let isTerminal = isatty(2) == 1

    public init(metrics: PipelineMetrics, interval: Duration = .seconds(2)) {
        self.metrics = metrics
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var previous = (staged: 0, time: ContinuousClock.now)
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                let now = (staged: metrics.value(.staged), time: ContinuousClock.now)
                let elapsed = now.time - previous.time
                let seconds = elapsed.seconds
                let line = Self.line(metrics, rate: seconds > 0 ? Double(now.staged - previous.staged) / seconds : 0)
                previous = now
                FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
            }
        }
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func line(_ metrics: PipelineMetrics, rate: Double) -> String {
        let stored = metrics.value(.stored)
        let quarantined = metrics.value(.quarantineLoaded)
        return "staged \(StatusReport.grouped(Int64(metrics.value(.staged)))) (\(StatusReport.grouped(Int64(rate)))/s)"
            + " · valid \(StatusReport.grouped(Int64(metrics.value(.validated))))"
            + " · rejected \(StatusReport.grouped(Int64(metrics.value(.rejected))))"
            + " · stored \(StatusReport.grouped(Int64(stored)))"
            + " · quarantined \(StatusReport.grouped(Int64(quarantined)))"
    }
}

/// Applies the log's retention every minute.
public struct RetentionService: Service {
    let log: any Log

    public init(log: any Log) {
        self.log = log
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = try? await log.enforceRetention(now: WallClock.milliseconds())
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }
}
