import Synchronization

/// Counters of what this process's stages did, for the progress line and the final summary.
/// Updated once per batch, so a lock costs nothing that matters.
public final class PipelineMetrics: Sendable {
    public enum Counter: Sendable, CaseIterable {
        /// Records put on `staging`.
        case staged
        /// Messages deliberately not staged (pings, feed errors).
        case ignored
        /// Records validate sent to `stock_data`.
        case validated
        /// Records validate sent to `bad_stock_data`.
        case rejected
        /// Trades stored for the first time.
        case stored
        /// Trades quarantined by load as `duplicate`.
        case duplicates
        /// Quarantine records written by load.
        case quarantineLoaded
    }

    private let counts = Mutex<[Counter: Int]>([:])

    public init() {}

    func add(_ counter: Counter, _ amount: Int) {
        counts.withLock { $0[counter, default: 0] += amount }
    }

    public func value(_ counter: Counter) -> Int {
        counts.withLock { $0[counter, default: 0] }
    }
}

/// Lets a downstream stage in `--drain` mode know that everything upstream has finished, so that
/// an empty topic means done rather than not yet.
public final class DrainCoordinator: Sendable {
    public enum Stage: Int, Sendable { case ingest, validate, load }

    private let finished = Mutex<Set<Stage>>([])

    /// `upstreamAlreadyDone`: for a stage running alone, whose upstream is another process.
    public init(upstreamAlreadyDone: [Stage] = []) {
        finished.withLock { $0.formUnion(upstreamAlreadyDone) }
    }

    public func markFinished(_ stage: Stage) {
        _ = finished.withLock { $0.insert(stage) }
    }

    public func isFinished(_ stage: Stage) -> Bool {
        finished.withLock { $0.contains(stage) }
    }
}
