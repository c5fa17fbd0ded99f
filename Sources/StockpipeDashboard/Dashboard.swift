import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import StockpipeCore
import StockpipePipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the dashboard reads: the store, and the log for the pipeline's status. Whichever backends
/// they are, the app opened them.
public struct DashboardBackends: Sendable {
    public let log: any Log
    public let store: any Store
    /// Shown on the status panel.
    public let dataDirectory: String

    public init(log: any Log, store: any Store, dataDirectory: String) {
        self.log = log
        self.store = store
        self.dataDirectory = dataDirectory
    }
}

/// The dashboard and JSON API over whichever log and store the settings open: the page at `/`,
/// the API under `/api/v1`, live updates at `/api/v1/stream`, `/health` and `/metrics`.
///
/// ```swift
/// let dashboard = Dashboard(backends: DashboardBackends(log: log, store: store, dataDirectory: "."), configuration: .init(), registry: registry)
/// try await ServiceGroup(services: [dashboard], logger: logger).run()
/// ```
public final class Dashboard: Service, Sendable {
    public let configuration: DashboardConfiguration
    let backends: DashboardBackends
    let registry: PrometheusCollectorRegistry
    /// This process's stages, when it runs them (`stockpipe run`): for the latency they measure.
    let pipeline: PipelineMetrics?
    let sampler: StatusSampler
    let feed: LiveFeed
    let logger: Logger

    public init(
        backends: DashboardBackends, configuration: DashboardConfiguration, registry: PrometheusCollectorRegistry,
        pipeline: PipelineMetrics? = nil, logger: Logger = Logger(label: "stockpipe.dashboard")
    ) {
        self.configuration = configuration
        self.backends = backends
        self.registry = registry
        self.pipeline = pipeline
        self.logger = logger
        sampler = StatusSampler(backends: backends, registry: registry, pipeline: pipeline)
        feed = LiveFeed(store: backends.store)
    }

    /// Refuses a configuration that would expose the data to the network without a token, a token
    /// short enough to guess, and a host that does not resolve. Never names the token itself.
    public static func check(_ configuration: DashboardConfiguration) throws(DashboardError) {
        guard (0...65_535).contains(configuration.port) else { throw DashboardError.portOutOfRange(configuration.port) }
        if let token = configuration.token, !token.isEmpty, let problem = DashboardConfiguration.tokenProblem(token) {
            throw DashboardError.weakToken(problem: problem)
        }
        let loopback = try configuration.isLoopback()
        if (configuration.token ?? "").isEmpty && !loopback {
            throw DashboardError.exposedWithoutToken(host: configuration.host)
        }
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: BearerTokenMiddleware(token: configuration.token))
        addAPIRoutes(to: router)
        addPageRoutes(to: router)
        return router
    }

    /// Serves until the service group shuts down gracefully.
    public func run() async throws {
        try Self.check(configuration)
        let app = Application(
            router: router(),
            server: GuardedHTTP1Channel.builder(configuration),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "stockpipe"),
            onServerRunning: { [logger, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.notice("dashboard at http://\(configuration.host):\(port)/")
            },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.sampler.run(every: self.configuration.statusEvery) }
            group.addTask { try await self.feed.run(every: self.configuration.tick, sampler: self.sampler) }
            defer { group.cancelAll() }
            do {
                // Event streams never end by themselves, and the server waits for open requests to end.
                try await withGracefulShutdownHandler {
                    try await app.run()
                } onGracefulShutdown: {
                    self.feed.finishAll()
                }
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                throw DashboardError.portInUse(host: configuration.host, port: configuration.port)
            }
        }
    }
}
