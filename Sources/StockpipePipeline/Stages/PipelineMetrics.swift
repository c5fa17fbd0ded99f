import Metrics
import StockpipeCore
import Synchronization

/// Counters of what this process's stages did, for the progress line, the final summary, the
/// dashboard and (through swift-metrics) `/metrics`. Updated once per batch, so a lock costs
/// nothing that matters.
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
        /// Records load has taken from `stock_data` and `bad_stock_data`.
        case loaded

        /// The label value in `/metrics`.
        public var name: String {
            switch self {
            case .staged: "staged"
            case .ignored: "ignored"
            case .validated: "validated"
            case .rejected: "rejected"
            case .stored: "stored"
            case .duplicates: "duplicates"
            case .quarantineLoaded: "quarantined"
            case .loaded: "loaded"
            }
        }
    }

    /// Staging to store, over the trades stored in the last ``LatencyWindow/span`` or so.
    public struct Latency: Sendable, Equatable {
        public var p50: Duration
        public var p99: Duration
        public var max: Duration
        /// Unix ms when it was measured.
        public var measuredAt: Int64
    }

    private let counts = Mutex<[Counter: Int]>([:])
    /// When each loop of each stage last went round (Unix ms), for the heartbeat.
    private let beats = Mutex<[PipelineStage: [String: Int64]]>([:])
    private let latencies = Mutex(LatencyWindow())
    private let exported: [Counter: Metrics.Counter]
    private let latencyTimer: Metrics.Timer
    /// Made at a stage's first batch, so a process shows only the stages it runs.
    private let batchTimers = Mutex<[PipelineStage: Metrics.Timer]>([:])

    /// The `/metrics` name of the ingest-to-store latency histogram.
    public static let latencyLabel = "stockpipe_ingest_to_store_seconds"
    /// The `/metrics` name of the histogram of how long a stage takes over a batch.
    public static let batchLabel = "stockpipe_batch_seconds"

    /// Creates the swift-metrics instruments, so bootstrap the metrics system first.
    public init() {
        exported = Dictionary(
            uniqueKeysWithValues: Counter.allCases.map {
                ($0, Metrics.Counter(label: "stockpipe_records_total", dimensions: [("counter", $0.name)]))
            })
        latencyTimer = Metrics.Timer(label: Self.latencyLabel, preferredDisplayUnit: .seconds)
    }

    /// The `# HELP` text of each metric these counters and timers make, for the metrics backend.
    public static let helpTexts: [String: String] = [
        "stockpipe_records_total":
            "Records this process's stages handled, by what happened to them (staged, ignored, validated, rejected, loaded, stored, duplicates, quarantined)",
        latencyLabel: "Time from staging to the store of every trade this process's load stored",
        batchLabel: "Time a stage took over a batch, from its records in hand to their outputs written and its position committed",
    ]

    /// Histogram buckets, in the metrics backend, that resolve what these histograms measure: a
    /// healthy pipeline stores a trade within tens of milliseconds, a batch takes a few.
    public static let histogramBuckets: [String: [Duration]] = [
        latencyLabel: [1, 2, 5, 10, 15, 20, 25, 35, 50, 75, 100, 150, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000]
            .map { Duration.milliseconds($0) },
        batchLabel: [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000].map { Duration.milliseconds($0) },
    ]

    /// Records how long `stage` took over one batch, from its records in hand to their outputs written.
    func recordBatch(_ stage: PipelineStage, took duration: Duration) {
        let timer = batchTimers.withLock { timers in
            if let timer = timers[stage] { return timer }
            let timer = Metrics.Timer(label: Self.batchLabel, dimensions: [("stage", stage.rawValue)], preferredDisplayUnit: .seconds)
            timers[stage] = timer
            return timer
        }
        timer.record(duration: duration)
    }

    func add(_ counter: Counter, _ amount: Int) {
        counts.withLock { $0[counter, default: 0] += amount }
        if amount > 0 { exported[counter]?.increment(by: amount) }
    }

    /// Records how long ago each of `stagedAt` (Unix ms) was staged.
    func recordLatency(stagedAt: [Int64], now: Int64) {
        guard !stagedAt.isEmpty else { return }
        let ages = stagedAt.map { max(0, now - $0) }
        for age in ages { latencyTimer.recordMilliseconds(age) }
        latencies.withLock { $0.record(ages, at: now) }
    }

    /// Quantiles of every trade stored lately, not of the last batch alone: a batch's trades were
    /// staged within moments of each other, so its own p50 and p99 were nearly always equal.
    public var latency: Latency? { latencies.withLock { $0.latency } }

    public func value(_ counter: Counter) -> Int {
        counts.withLock { $0[counter, default: 0] }
    }

    /// Called by each loop of a stage every time round (a stage may have several: load reads two topics).
    func beat(_ stage: PipelineStage, loop: String) {
        let now = WallClock.milliseconds()
        beats.withLock { $0[stage, default: [:]][loop] = now }
    }

    /// The stages that have beaten in this process.
    public var beatingStages: [PipelineStage] {
        beats.withLock { beats in PipelineStage.allCases.filter { beats[$0] != nil } }
    }

    /// The last beat of the stage's slowest loop: a stage is as alive as its most stuck loop.
    public func lastBeat(of stage: PipelineStage) -> Int64? {
        beats.withLock { $0[stage]?.values.min() }
    }
}

/// Holds a stage back while the stage after it, in the same process, is far behind: on two cores
/// a stage that races ahead only takes CPU from the ones that decide when the run ends.
public struct Backpressure: Sendable {
    public enum Gap: Sendable {
        /// Staged but not yet validated.
        case staging
        /// Validated but not yet loaded.
        case validated
    }

    let metrics: PipelineMetrics
    let gap: Gap
    let limit: Int

    public init(metrics: PipelineMetrics, gap: Gap, limit: Int) {
        self.metrics = metrics
        self.gap = gap
        self.limit = limit
    }

    var backlog: Int {
        switch gap {
        case .staging: metrics.value(.staged) - metrics.value(.validated) - metrics.value(.rejected)
        case .validated: metrics.value(.validated) + metrics.value(.rejected) - metrics.value(.loaded)
        }
    }

    var mustWait: Bool { backlog > limit }

    /// Waits while the backlog is over the limit (or until the task is cancelled or shut down).
    func wait() async {
        while backlog > limit && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Lets a downstream stage in `--drain` mode know that everything upstream has finished, so that
/// an empty topic means done rather than not yet.
public final class DrainCoordinator: Sendable {
    private let finished = Mutex<[PipelineStage: Int]>([:])
    /// Ingest services in this process (trades and quotes are two); all must finish.
    private let ingests: Int

    /// `upstreamAlreadyDone`: for a stage running alone, whose upstream is another process.
    public init(upstreamAlreadyDone: [PipelineStage] = [], ingests: Int = 1) {
        self.ingests = ingests
        finished.withLock { finished in
            for stage in upstreamAlreadyDone { finished[stage] = stage == .ingest ? ingests : 1 }
        }
    }

    public func markFinished(_ stage: PipelineStage) {
        finished.withLock { $0[stage, default: 0] += 1 }
    }

    public func isFinished(_ stage: PipelineStage) -> Bool {
        finished.withLock { ($0[stage] ?? 0) >= (stage == .ingest ? ingests : 1) }
    }
}
