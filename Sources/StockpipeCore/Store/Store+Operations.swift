/// What the scheduler keeps in the store: the history of job runs, the latest data-quality
/// reports, and the expiry of old rows. Kept beside the data so that `stockpipe jobs history`,
/// `status` and the dashboard read the same answer from any process.
public protocol OperationsStore: Sendable {
    /// Appends one run to the history (bounded: the oldest runs of a job beyond 1,000 are dropped).
    func recordJobRun(_ run: JobRunEntry) async throws
    /// Runs of `job`, newest first.
    func jobRuns(job: String, limit: Int) async throws -> [JobRunEntry]
    /// Keeps a data-quality report (a JSON document) made at `generatedAt`.
    func saveQualityReport(_ json: String, generatedAt: Int64) async throws
    /// The newest report, if any.
    func latestQualityReport() async throws -> StoredQualityReport?
    /// Removes trades, candles and quotes older than `cutoff` (Unix ms). The counts in
    /// ``StoreCounts`` keep counting them, so `status` still reconciles.
    func expire(before cutoff: Int64) async throws -> ExpiryResult
}

/// One run of a scheduled job, as the history keeps it.
public struct JobRunEntry: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        case succeeded, failed
        case timedOut = "timed_out"
        /// Due while the previous run was still going: runs of one job never overlap.
        case skipped
    }

    public enum Trigger: String, Sendable {
        case schedule, manual
    }

    public var job: String
    /// Unix ms.
    public var scheduledAt: Int64
    public var startedAt: Int64
    public var finishedAt: Int64
    public var attempts: Int
    public var outcome: Outcome
    /// The run's one-line summary, or what went wrong.
    public var detail: String
    public var trigger: Trigger
    /// What the job keeps for its next run (the re-drive job: the rules it last re-drove under).
    public var state: String

    public init(
        job: String, scheduledAt: Int64, startedAt: Int64, finishedAt: Int64, attempts: Int, outcome: Outcome,
        detail: String, trigger: Trigger, state: String = ""
    ) {
        self.job = job
        self.scheduledAt = scheduledAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.outcome = outcome
        self.detail = detail
        self.trigger = trigger
        self.state = state
    }
}

public struct StoredQualityReport: Sendable, Equatable {
    public var generatedAt: Int64
    public var json: String

    public init(generatedAt: Int64, json: String) {
        self.generatedAt = generatedAt
        self.json = json
    }
}

public struct ExpiryResult: Sendable, Equatable {
    public var trades = 0
    public var candles = 0
    public var quotes = 0
    /// Set when the store expires rows itself (Cassandra's TTLs) and removed nothing here.
    public var expiresByItself = false

    public init() {}
}

extension JobRunEntry {
    /// Most runs kept per job.
    public static let historyLimit = 1_000
}
