import Foundation
import Logging
import StockpipeCore
import StockpipeFinnhub
import StockpipeJSON
import StockpipePipeline
import StockpipeSchedule

/// The built-in jobs, made from the settings over the backends of this process.
///
/// ```swift
/// let catalog = JobCatalog(settings: settings, backends: backends, logger: logger)
/// let scheduler = Scheduler(jobs: try catalog.scheduledJobs(), clock: SystemSchedulerClock(), record: catalog.record)
/// ```
public struct JobCatalog: Sendable {
    public let settings: Settings
    public let backends: Backends
    public let logger: Logger
    /// Whether an ingest stage in this process polls quotes already (then `quote-poll` stays off).
    public let ingestPollsQuotes: Bool
    /// The source ingest reads in this process, beside which validation runs (nil: none, as for
    /// `stockpipe scheduler` and `jobs run`); it decides the default allow-list the redrive job notes.
    public let validationSource: Settings.SourceKind?

    public init(
        settings: Settings, backends: Backends, logger: Logger, ingestPollsQuotes: Bool = false,
        validationSource: Settings.SourceKind? = nil
    ) {
        self.settings = settings
        self.backends = backends
        self.logger = logger
        self.ingestPollsQuotes = ingestPollsQuotes
        self.validationSource = validationSource
    }

    /// Why a job does not run on its schedule here, or nil when it does.
    public func whyOff(_ job: BuiltInJob) -> String? {
        if settings.jobs[job]?.enabled == false { return "disabled (jobs.\(job.rawValue).enabled)" }
        if job == .quotePoll {
            if settings.finnhub.token == nil { return "no Finnhub API key (FINNHUB_TOKEN)" }
            if ingestPollsQuotes { return "the ingest stage polls quotes (finnhub.quote-interval)" }
        }
        return nil
    }

    /// The jobs that run on their schedules in this process.
    public func scheduledJobs() throws -> [Job] {
        try BuiltInJob.allCases.filter { whyOff($0) == nil }.map(job)
    }

    /// `name` as the scheduler runs it: its schedule, calendar, timeout, attempts and action.
    public func job(_ name: BuiltInJob) throws -> Job {
        let schedule = settings.jobs[name] ?? JobSettings.defaults(name)
        var job = Job(name: name.rawValue, schedule: try schedule.parsedSchedule(job: name.rawValue)) { [self] in
            try await run(name)
        }
        job.calendar = try schedule.parsedCalendar(job: name.rawValue)
        job.timeout = .milliseconds(schedule.timeout)
        job.attempts = schedule.attempts
        job.backoff = .milliseconds(schedule.backoff)
        return job
    }

    /// Keeps a finished run in the store's history; a store that cannot take it is logged, not fatal.
    public var record: @Sendable (JobRun) async -> Void {
        { [backends, logger] run in
            do {
                try await backends.store.recordJobRun(JobRunEntry(run))
            } catch {
                logger.warning("could not keep the run of job \(run.job) in the store: \(error)")
            }
        }
    }

    func run(_ job: BuiltInJob) async throws -> JobResult {
        switch job {
        case .qualityReport:
            let report = try await QualityReport.make(backends.store, settings: settings.quality, now: WallClock.milliseconds())
            try await backends.store.saveQualityReport(report.json(), generatedAt: report.generatedAt)
            return JobResult(report.summary)
        case .retention: return try await retention()
        case .redrive: return try await redrive()
        case .quotePoll: return try await pollQuotes()
        }
    }

    private func retention() async throws -> JobResult {
        let now = WallClock.milliseconds()
        let removed = try await backends.log.enforceRetention(now: now)
        var summary = "log: \(removed) records past retention removed"
        if settings.storeRetention > 0 {
            let expired = try await backends.store.expire(before: now - settings.storeRetention)
            summary +=
                expired.expiresByItself
                ? "; store: rows expire by cassandra.ttl"
                : "; store: \(expired.trades) trades, \(expired.candles) candles, \(expired.quotes) quotes removed"
        }
        return JobResult(summary)
    }

    /// Reasons a change of the rules can undo; the others are facts about the record itself.
    static let ruleReasons: Set<ReasonCode> = [.invalidSymbol, .symbolNotAllowed, .timestampInFuture, .timestampTooOld, .priceJump]

    /// The first run notes the rules; a later run that finds them changed re-drives every record
    /// quarantined for a reason the rules decide. The rules are those validation applies in this
    /// process (the allow-list depends on the source beside it: see ``Settings/allowedSymbols(beside:)``).
    private func redrive() async throws -> JobResult {
        let rules = settings.effectiveValidation(beside: validationSource).fingerprint
        let last = try await backends.store.jobRuns(job: BuiltInJob.redrive.rawValue, limit: 50)
            .first { $0.outcome == .succeeded && !$0.state.isEmpty }?.state
        guard let last else { return JobResult("noted the validation rules (\(rules)); re-drives once they change", state: rules) }
        guard last != rules else { return JobResult("validation rules unchanged (\(rules)); nothing to re-drive", state: rules) }
        let count = try await QuarantineReplay.restage(backends) { !Self.ruleReasons.isDisjoint(with: $0.reasons) }
        return JobResult("validation rules changed (\(last) → \(rules)): re-drove \(count) quarantined records", state: rules)
    }

    private func pollQuotes() async throws -> JobResult {
        guard let configuration = settings.finnhubConfiguration else { throw UserError("quote-poll needs a Finnhub API key: set FINNHUB_TOKEN") }
        let poller = QuotePoller(
            configuration: configuration, interval: .milliseconds(settings.finnhub.quoteInterval), rounds: 1,
            limiter: RateLimiter(perSecond: settings.finnhub.callsPerSecond, perMinute: settings.finnhub.callsPerMinute))
        let metrics = PipelineMetrics()
        try await IngestStage(source: poller, log: backends.log, drain: DrainCoordinator(), metrics: metrics, logger: logger).run()
        return JobResult("staged \(metrics.value(.staged)) quotes of \(settings.subscribedSymbols.count) symbols")
    }
}
