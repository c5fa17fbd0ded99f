import Logging
import ServiceLifecycle
import StockpipeCore

/// Runs stages of the pipeline in this process as one service group: all of them for
/// `stockpipe run`, one for `stockpipe ingest|validate|load`. SIGINT and SIGTERM stop it gracefully:
/// each stage finishes and commits its current batch.
///
/// It sees only the log, the store and the sources; which backends those are is the app's business.
public struct StageGroup: Sendable {
    public let stages: [PipelineStage]
    public let drain: Bool
    public let log: any Log
    public let store: any Store
    public let rules: ValidationRules
    public let batchSize: Int
    /// Where the heartbeat files go (`stockpipe health --stage`).
    public let dataDirectory: String
    public let metrics: PipelineMetrics
    public let showProgress: Bool
    public let logger: Logger

    public init(
        stages: [PipelineStage], drain: Bool, log: any Log, store: any Store, rules: ValidationRules, batchSize: Int,
        dataDirectory: String, metrics: PipelineMetrics, showProgress: Bool, logger: Logger
    ) {
        self.stages = stages
        self.drain = drain
        self.log = log
        self.store = store
        self.rules = rules
        self.batchSize = batchSize
        self.dataDirectory = dataDirectory
        self.metrics = metrics
        self.showProgress = showProgress
        self.logger = logger
    }

    /// Runs the stages with `trades` and `quotes` as ingest's sources (either may be nil), the
    /// `scheduler` beside them if given; without a scheduler that enforces retention, the load
    /// stage's process does. `alongside` (the dashboard) stops with the stages.
    public func run(
        trades: (any FeedSource)?, quotes: (any FeedSource)?, scheduler: (any Service)?,
        schedulerEnforcesRetention: Bool, alongside: [any Service] = []
    ) async throws {
        let coordinator =
            drain
            ? DrainCoordinator(upstreamAlreadyDone: PipelineStage.upstream(of: stages), ingests: (quotes == nil ? 0 : 1) + (trades == nil ? 0 : 1))
            : nil
        let last = stages.last
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        func add(_ service: any Service, stage: PipelineStage?) {
            let endsRun = drain && stage != nil && stage == last
            services.append(
                .init(
                    service: service,
                    successTerminationBehavior: endsRun ? .gracefullyShutdownGroup : .ignore,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        // With the next stage in this process, a stage waits for it rather than racing ahead.
        let pacedIngest =
            stages.contains(.validate)
            ? Backpressure(metrics: metrics, gap: .staging, limit: batchSize * 8) : nil
        let pacedValidate =
            stages.contains(.load)
            ? Backpressure(metrics: metrics, gap: .validated, limit: batchSize * 16) : nil
        if let trades {
            add(
                IngestStage(
                    source: trades, log: log, drain: coordinator, metrics: metrics, logger: logger,
                    backpressure: pacedIngest), stage: .ingest)
        }
        if let quotes {
            add(IngestStage(source: quotes, log: log, drain: coordinator, metrics: metrics, logger: logger), stage: .ingest)
        }
        if stages.contains(.validate) {
            add(
                ValidateStage(
                    log: log, rules: rules, batchSize: batchSize,
                    drain: coordinator, metrics: metrics, backpressure: pacedValidate), stage: .validate)
        }
        if stages.contains(.load) {
            add(
                LoadStage(
                    log: log, store: store, batchSize: batchSize, drain: coordinator,
                    metrics: metrics), stage: .load)
            // Otherwise the scheduler's retention job does this.
            if !schedulerEnforcesRetention {
                add(RetentionService(log: log), stage: nil)
            }
        }
        if let scheduler { add(scheduler, stage: nil) }
        if showProgress { add(ProgressReporter(metrics: metrics), stage: nil) }
        if !drain { add(HeartbeatService(metrics: metrics, stages: stages, dataDirectory: dataDirectory), stage: nil) }
        for service in alongside { add(service, stage: nil) }
        var quiet = logger
        quiet.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: quiet))
        try await group.run()
    }
}
