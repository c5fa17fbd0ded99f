import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import StockpipeApp
import StockpipeCore
import StockpipeDashboard
import StockpipePipeline

/// The dashboard served as `stockpipe serve` serves it, in this process, over a store that
/// `prepare` fills (empty by default), with the limits `configure` sets; `body` gets its port and
/// the store.
func withServedDashboard(
    _ configure: (inout DashboardConfiguration) -> Void,
    prepare: (any Store) async throws -> Void = { _ in },
    _ body: @Sendable (Int, any Store) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory()
    var settings = Settings()
    settings.dataDirectory = directory.file("data")
    let backends = try await Backends.open(settings, create: true)
    try await prepare(backends.forDashboard.store)
    var configuration = DashboardConfiguration()
    configuration.port = try freeConsecutivePorts(1)
    configuration.tick = .milliseconds(250)
    configure(&configuration)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let dashboard = Dashboard(
        backends: backends.forDashboard, configuration: configuration, registry: PrometheusCollectorRegistry(), logger: logger)
    let group = ServiceGroup(configuration: .init(services: [.init(service: dashboard)], logger: logger))
    let port = configuration.port
    let outcome: Result<Void, any Error> = await withTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try? await group.run() }
        let outcome: Result<Void, any Error>
        do {
            try await waitUntilListening(port: port, timeout: .seconds(60))
            try await body(port, backends.forDashboard.store)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        await tasks.waitForAll()
        return outcome
    }
    await backends.close()
    try outcome.get()
}
