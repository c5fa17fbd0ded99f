import Foundation
import Logging
import ServiceLifecycle
import StockpipeCore
import StockpipeFinnhub
import StockpipePipeline
import StockpipeSources

/// Runs stages of the pipeline in this process as one service group: all of them for
/// `stockpipe run`, one for `stockpipe ingest|validate|load`. SIGINT and SIGTERM stop it gracefully:
/// each stage finishes and commits its current batch.
public struct PipelineRunner: Sendable {
    public typealias Stage = PipelineStage

    public let settings: Settings
    public let stages: [Stage]
    public let drain: Bool
    public let showProgress: Bool
    public let logger: Logger
    public let metrics = PipelineMetrics()
    /// `ingest --once`: take what the source has now and exit. The Finnhub trade stream never
    /// ends, so without `--limit` only one round of REST quotes is taken from Finnhub.
    public var once = false

    /// The source beside which validation runs in this process (which decides its default
    /// allow-list): the configured one when ingest runs here too, else none.
    var validationSource: Settings.SourceKind? { stages.contains(.ingest) ? settings.source : nil }

    /// Whether the trade source runs: not the endless Finnhub stream under `--once` without a limit.
    var runsTradeSource: Bool { !(once && settings.source == .finnhub && settings.limit == nil) }

    public init(settings: Settings, stages: [Stage], drain: Bool, showProgress: Bool, logger: Logger) {
        self.settings = settings
        self.stages = stages
        self.drain = drain
        self.showProgress = showProgress
        self.logger = logger
    }

    /// The source the settings describe. With `--drain` the simulator needs a limit and runs unpaced.
    public func makeSource() throws -> any FeedSource {
        switch settings.source {
        case .replay:
            return try ReplaySource(path: settings.file ?? "", follow: !drain)
        case .simulator:
            if drain && settings.limit == nil {
                throw UserError("--drain with the simulator needs --limit N, or it would never finish")
            }
            let now = WallClock.milliseconds()
            let paced = !drain
            // Unpaced, the trades end now and start as far back as the limit takes at the rate: after 1970.
            let spanMilliseconds = settings.limit.map { Double($0) / settings.rate * 1000 } ?? 0
            if !paced && !(spanMilliseconds < Double(now - 1_000)) {
                throw UserError(
                    "--limit \(settings.limit ?? 0) at --rate \(settings.rate) spans more time than has passed since 1970; "
                        + "raise --rate or lower --limit")
            }
            let span = paced ? 0 : Int64(spanMilliseconds)
            let configuration = Simulator.Configuration(
                symbols: settings.simulatedSymbols, seed: settings.seed,
                rate: settings.rate, start: paced ? now : now - span - 1_000, badFraction: settings.badFraction,
                allowListActive: settings.allowedSymbols(beside: stages.contains(.validate) ? .simulator : nil) != nil)
            return SimulatorSource(configuration: configuration, limit: settings.limit, paced: paced)
        case .finnhub:
            guard let configuration = settings.finnhubConfiguration else {
                throw UserError("--source finnhub needs a Finnhub API key: set FINNHUB_TOKEN")
            }
            if drain && settings.limit == nil && !once {
                throw UserError(
                    "--drain with the Finnhub stream needs --limit N, or it would never finish "
                        + "(or `ingest --once`, which polls one round of quotes)")
            }
            return FinnhubTradeSource(configuration: configuration, limit: settings.limit)
        }
    }

    /// With Finnhub, the REST quote poller beside the trade stream (unless `finnhub.quote-interval` is 0).
    /// With `--drain` it polls each symbol once.
    public func makeQuoteSource() throws -> (any FeedSource)? {
        guard settings.source == .finnhub, settings.finnhub.quoteInterval > 0, let configuration = settings.finnhubConfiguration else {
            return nil
        }
        return QuotePoller(
            configuration: configuration, interval: .milliseconds(settings.finnhub.quoteInterval),
            rounds: drain ? 1 : nil,
            limiter: RateLimiter(perSecond: settings.finnhub.callsPerSecond, perMinute: settings.finnhub.callsPerMinute))
    }

    /// Runs until drained (with `drain`) or until a signal; returns when every stage has stopped.
    /// `alongside` run in the same group (the dashboard) and stop with the stages.
    public func run(_ backends: Backends, alongside: [any Service] = []) async throws {
        let quotes = stages.contains(.ingest) ? try makeQuoteSource() : nil
        let trades = stages.contains(.ingest) && runsTradeSource ? try makeSource() : nil
        // The scheduler runs with the whole pipeline, unless bounded (--drain) or turned off.
        let scheduler =
            settings.scheduler && !drain && stages.count == Stage.allCases.count
            ? try SchedulerService(
                catalog: JobCatalog(
                    settings: settings, backends: backends, logger: logger,
                    ingestPollsQuotes: quotes != nil, validationSource: validationSource))
            : nil
        let group = StageGroup(
            stages: stages, drain: drain, log: backends.log, store: backends.store,
            rules: settings.effectiveValidation(beside: validationSource), batchSize: settings.batchSize,
            dataDirectory: settings.dataDirectory, metrics: metrics, showProgress: showProgress, logger: logger)
        try await group.run(
            trades: trades, quotes: quotes, scheduler: scheduler,
            schedulerEnforcesRetention: scheduler?.jobs.contains(where: { $0.name == BuiltInJob.retention.rawValue }) == true,
            alongside: alongside)
    }
}
