import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StockpipeApp
import StockpipeCore
import StockpipeDashboard
import StockpipePipeline

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole pipeline in this process (ingest, validate, load).",
        discussion: "With no options: the simulator, the embedded log and store in ./stockpipe-data, until Ctrl-C.")

    @OptionGroup var options: StageOptions

    func run() async throws {
        try await runStages(PipelineRunner.Stage.allCases, options: options)
    }
}

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Run only the ingest stage: source → staging.",
        discussion: "With --once (for Airflow and cron): stage what the source has now and exit 0: a replay to its end "
            + "(a rerun stages nothing twice), the simulator's --limit records, one round of Finnhub REST quotes "
            + "(and --limit trades from the stream, if given).")
    @OptionGroup var options: StageOptions
    @Flag(help: "Stage what the source has now, then exit (a bounded run for external schedulers).") var once = false
    func run() async throws { try await runStages([.ingest], options: options, once: once) }
}

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Run only the validate stage: staging → stock_data | bad_stock_data.")
    @OptionGroup var options: StageOptions
    func run() async throws { try await runStages([.validate], options: options) }
}

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Run only the load stage: stock_data and bad_stock_data → store.")
    @OptionGroup var options: StageOptions
    func run() async throws { try await runStages([.load], options: options) }
}

/// Runs the stages, telling the user what is happening, and a summary at the end.
func runStages(_ stages: [PipelineRunner.Stage], options: StageOptions, once: Bool = false) async throws {
    var settings = try options.settings()
    if options.noScheduler { settings.scheduler = false }
    let logger = Logger(label: "stockpipe")
    let drain = options.drain || once
    var runner = PipelineRunner(settings: settings, stages: stages, drain: drain, showProgress: true, logger: logger)
    runner.once = once
    if stages.contains(.ingest) { _ = try runner.makeSource() }  // report a bad source before creating anything
    let withDashboard = stages.count == PipelineRunner.Stage.allCases.count && settings.dashboard
    if withDashboard { try Dashboard.check(settings.dashboardConfiguration) }
    if let metrics = settings.metricsConfiguration { try StageEndpoint.check(metrics) }
    try options.common.checkpoint(describe(settings, stages: stages, drain: drain, dataDirectory: settings.dataDirectory))
    let backends = try await Backends.open(settings, create: true)
    say(describe(settings, stages: stages, drain: drain, dataDirectory: backends.dataDirectory))
    let started = ContinuousClock.now
    do {
        let dashboard =
            withDashboard
            ? [
                Dashboard(
                    backends: backends.forDashboard, configuration: settings.dashboardConfiguration, registry: metricsRegistry,
                    pipeline: runner.metrics)
            ]
            : []
        let endpoint: [any Service] =
            settings.metricsConfiguration.map {
                [StageEndpoint(metrics: runner.metrics, configuration: $0, registry: metricsRegistry)]
            } ?? []
        try await runner.run(backends, alongside: dashboard + endpoint)
    } catch {
        await backends.close()
        throw error
    }
    let elapsed = ContinuousClock.now - started
    let seconds = elapsed.seconds
    let report = try await StatusReport.collect(backends)
    await backends.close()
    let metrics = runner.metrics
    let staged = metrics.value(.staged)
    var summary = String(format: "stopped after %.1f s", seconds)
    if stages.contains(.ingest) {
        summary +=
            ": staged \(StatusReport.grouped(Int64(staged)))"
            + (seconds > 0 ? " (\(StatusReport.grouped(Int64(Double(staged) / seconds)))/s)" : "")
    }
    summary +=
        " · stored \(StatusReport.grouped(Int64(metrics.value(.stored))))"
        + " · quarantined \(StatusReport.grouped(Int64(metrics.value(.quarantineLoaded))))"
    say(summary)
    say(
        "store: \(StatusReport.grouped(report.store.trades)) trades, \(StatusReport.grouped(report.store.quarantined)) quarantined, "
            + "pending \(StatusReport.grouped(report.pending)) · counts \(report.balanced ? "reconcile" : "do NOT reconcile") "
            + "(stockpipe status)")
    // A whole pipeline run to its end has nothing in flight: counts that do not add up mean records were
    // lost or doubled, and a script that runs `run --drain` must not take that for success.
    if drain && !once && stages.count == PipelineRunner.Stage.allCases.count && !report.balanced {
        say("counts do not reconcile: " + reconciliationGap(report) + "; see `stockpipe status`")
        throw ExitCode.failure
    }
}

/// Which counts of the reconciliation differ, in words.
func reconciliationGap(_ report: StatusReport) -> String {
    let expected = report.staged - report.redriven
    let accounted = report.store.trades + report.store.quotes + report.store.quarantined + report.pending
    let n = StatusReport.grouped
    let difference = accounted > expected ? "\(n(accounted - expected)) more" : "\(n(expected - accounted)) missing"
    return "staged \(n(report.staged))" + (report.redriven > 0 ? " − re-driven \(n(report.redriven))" : "")
        + " = \(n(expected)), but stored \(n(report.store.trades + report.store.quotes))"
        + " + quarantined \(n(report.store.quarantined)) + pending \(n(report.pending)) = \(n(accounted)) (\(difference))"
}

func describe(_ settings: Settings, stages: [PipelineRunner.Stage], drain: Bool, dataDirectory: String) -> String {
    var parts: [String] = []
    let what = stages.count == PipelineRunner.Stage.allCases.count ? "the pipeline" : "the \(stages.map(\.rawValue).joined(separator: ", ")) stage"
    if settings.log == .embedded && settings.store == .embedded {
        parts.append("running \(what) on the embedded log and store in \(dataDirectory)")
    } else {
        parts.append("running \(what) (\(settings.backendsSummary))")
    }
    if stages.contains(.ingest) {
        switch settings.source {
        case .replay:
            parts.append(
                "source: replay of \(settings.file ?? "")" + (drain ? "" : ", followed as it grows")
                    + (settings.symbols == nil && stages.contains(.validate) ? " (any symbol allowed; --symbols A,B restricts)" : ""))
        case .simulator:
            let symbols = String(settings.simulatedSymbols.count)
            parts.append(
                "source: simulator" + (settings.finnhub.token == nil ? ", as no FINNHUB_TOKEN is set" : "")
                    + " (\(symbols) symbols, \(Int(settings.rate)) trades/s, "
                    + "\(settings.badFraction * 100)% defective, seed \(settings.seed)"
                    + (settings.limit.map { ", \($0) records" } ?? "") + ")")
        case .finnhub:
            parts.append(
                "source: Finnhub trade stream at \(settings.finnhub.webSocketURL) (\(settings.subscribedSymbols.count) symbols; "
                    + "the API key is set, and is never printed)")
        }
    }
    if stages.count == PipelineRunner.Stage.allCases.count && settings.dashboard {
        // With port 0 the dashboard says where it is once it listens.
        if settings.port != 0 { parts.append("dashboard at http://\(settings.host):\(settings.port)/") }
    }
    if !drain && settings.scheduler && stages.count == PipelineRunner.Stage.allCases.count {
        parts.append("scheduler on (stockpipe jobs list)")
    }
    parts.append(drain ? "exits when drained" : "Ctrl-C stops")
    return parts.joined(separator: "; ")
}

func say(_ line: String) {
    FileHandle.standardError.write(Data("stockpipe: \(line)\n".utf8))
}

extension Settings {
    /// Where a stage process serves `/metrics` and `/health`, if `metrics-port` is set.
    var metricsConfiguration: DashboardConfiguration? {
        guard let metricsPort else { return nil }
        var configuration = DashboardConfiguration()
        configuration.host = metricsHost
        configuration.port = metricsPort
        configuration.token = dashboardToken
        return configuration
    }

    var dashboardConfiguration: DashboardConfiguration {
        var configuration = DashboardConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.token = dashboardToken
        return configuration
    }
}
