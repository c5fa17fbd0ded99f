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

/// `/metrics` and `/health` of a process that runs stages (setting `metrics-port`), for Prometheus
/// and an orchestrator's probes where each stage is its own process. The same rules as the
/// dashboard's: loopback by default, anything else only behind the bearer token (which `/health`
/// does not need).
///
/// ```swift
/// var configuration = DashboardConfiguration()
/// configuration.port = 9464
/// let endpoint = StageEndpoint(metrics: runner.metrics, configuration: configuration, registry: registry)
/// // GET /metrics: stockpipe_records_total, stockpipe_ingest_to_store_seconds, stockpipe_batch_seconds, ...
/// // GET /health: 200 {"status":"ok","stages":[{"stage":"load","secondsSinceLoop":0.1}]}, 503 when stuck
/// ```
public final class StageEndpoint: Service, Sendable {
    /// A stage that has not gone round its loop for this long is stuck (`stockpipe health --stage`'s default).
    public static let stuckAfter: Duration = .seconds(60)

    public let configuration: DashboardConfiguration
    let metrics: PipelineMetrics
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// Gauges made on the first scrape that has a value: a stage this process does not run, or a
    /// latency it has not measured, is left out rather than shown as 0.
    private static var sinceLoop: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "stockpipe", subsystem: "stage", metricName: "since_loop", unitName: "seconds",
            helpText: "Seconds since the stage's slowest loop last went round (every 200 ms when idle); over 60 it is stuck")
    }
    private static var recentLatency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "stockpipe", metricName: "ingest_to_store_recent", unitName: "seconds",
            helpText: "Percentiles of the ingest-to-store latency of the trades this process stored in the last 10-20 s (HdrHistogram)")
    }

    public init(
        metrics: PipelineMetrics, configuration: DashboardConfiguration, registry: PrometheusCollectorRegistry,
        logger: Logger = Logger(label: "stockpipe.metrics")
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
    }

    /// What `/health` says of each stage of this process.
    struct Health: Encodable, Sendable {
        struct Stage: Encodable, Sendable {
            var stage: String
            /// Nil before the stage's first time round.
            var secondsSinceLoop: Double?
        }
        /// `ok`, `starting` (a stage has not gone round yet) or `stuck`.
        var status: String
        var stages: [Stage]
    }

    func health(now: Int64 = WallClock.milliseconds()) -> Health {
        let stages = metrics.beatingStages
        let entries = stages.map { stage in
            Health.Stage(stage: stage.rawValue, secondsSinceLoop: metrics.lastBeat(of: stage).map { Double(max(0, now - $0)) / 1_000 })
        }
        let limit = Double(Self.stuckAfter.milliseconds) / 1_000
        let status =
            entries.isEmpty
            ? "starting" : entries.contains(where: { ($0.secondsSinceLoop ?? .infinity) > limit }) ? "stuck" : "ok"
        return Health(status: status, stages: entries)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: BearerTokenMiddleware(token: configuration.token))
        router.add(middleware: OnlyGetMiddleware())
        router.get("health") { _, _ in
            let health = self.health()
            return try Response.json(encoding: health, status: health.status == "ok" ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ in self.metricsResponse() }
        return router
    }

    func metricsResponse() -> Response {
        let now = WallClock.milliseconds()
        for stage in metrics.beatingStages {
            guard let beat = metrics.lastBeat(of: stage) else { continue }
            registry.makeGauge(descriptor: Self.sinceLoop, labels: [("stage", stage.rawValue)]).set(Double(max(0, now - beat)) / 1_000)
        }
        if let latency = metrics.latency {
            for (percentile, value) in [("50", latency.p50), ("99", latency.p99), ("100", latency.max)] {
                registry.makeGauge(descriptor: Self.recentLatency, labels: [("percentile", percentile)]).set(Double(value.milliseconds) / 1_000)
            }
        }
        return .prometheus(registry)
    }

    /// The dashboard's checks (a token beyond loopback, a host that resolves), in the endpoint's terms.
    public static func check(_ configuration: DashboardConfiguration) throws(StageEndpointError) {
        do {
            try Dashboard.check(configuration)
        } catch {
            throw StageEndpointError(error)
        }
    }

    /// Serves until the service group shuts down gracefully.
    public func run() async throws {
        try Self.check(configuration)
        let app = Application(
            router: router(),
            server: GuardedHTTP1Channel.builder(configuration),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "stockpipe"),
            onServerRunning: { [logger, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.notice("metrics at http://\(configuration.host):\(port)/metrics")
            },
            logger: logger)
        do {
            try await app.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw StageEndpointError(.portInUse(host: configuration.host, port: configuration.port))
        }
    }
}

/// Why a stage's metrics endpoint will not start: the dashboard's reasons, said of the endpoint.
public struct StageEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: DashboardError

    public init(_ reason: DashboardError) { self.reason = reason }

    public var description: String {
        switch reason {
        case .portOutOfRange(let port): "the metrics port must be between 0 and 65535, not \(port)"
        case .weakToken(let problem): "the dashboard token, which the metrics endpoint requires too, \(problem)"
        case .exposedWithoutToken(let host): "the metrics endpoint on \(host) would be reachable from the network without a token"
        case .hostDoesNotResolve(let host, let reason):
            "the metrics endpoint cannot listen on \(host): the host does not resolve (\(reason))"
        case .portInUse(let host, let port): "the metrics endpoint cannot listen on \(host):\(port): the port is in use"
        }
    }
}
