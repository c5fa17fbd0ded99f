import ArgumentParser
import Logging
import ServiceLifecycle
import StockpipeApp
import StockpipeCore
import StockpipeDashboard
import StockpipePipeline

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the dashboard, the JSON API and /metrics over the configured log and store, until Ctrl-C.",
        discussion: "Binds 127.0.0.1:8080 by default. Any other address needs a bearer token (STOCKPIPE_DASHBOARD_TOKEN).")

    @OptionGroup var common: CommonOptions
    @Option(help: ArgumentHelp("Address to listen on.", valueName: "HOST")) var host: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Port (0 picks a free one).", valueName: "P")) var port: String?

    func run() async throws {
        let settings = try common.settings { settings in
            if let host { try settings.apply(flag: "host", value: host) }
            if let port { try settings.apply(flag: "port", value: port) }
        }
        try Dashboard.check(settings.dashboardConfiguration)
        try common.checkpoint(
            "serve the dashboard at http://\(settings.host):\(settings.port)/"
                + (settings.dashboardToken == nil ? "" : " behind a bearer token") + " (\(settings.backendsSummary))")
        let backends = try await Backends.open(settings, create: false)
        say(
            "serving the dashboard for \(backends.dataDirectory)"
                + (settings.port == 0 ? "" : " at http://\(settings.host):\(settings.port)/") + "; Ctrl-C stops")
        let dashboard = Dashboard(backends: backends.forDashboard, configuration: settings.dashboardConfiguration, registry: metricsRegistry)
        var quiet = Logger(label: "stockpipe")
        quiet.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: dashboard)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
        do {
            try await group.run()
        } catch {
            await backends.close()
            throw error
        }
        await backends.close()
    }
}
