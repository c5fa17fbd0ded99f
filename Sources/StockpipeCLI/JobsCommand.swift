import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import StockpipeSchedule

/// Exit statuses beyond 0 (done), 1 (failed) and 2 (a mistake in the command or settings).
enum ExitStatus {
    /// `quality-report`: the report was made, and a configured threshold is broken.
    static let thresholdBroken: Int32 = 3
}

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Run the scheduled jobs alone (no stages), until Ctrl-C.",
        discussion: "The same jobs `stockpipe run` runs beside the pipeline: see `stockpipe jobs list`. One scheduler runs the "
            + "jobs at a time: a second one (a standby) says whom it waits for and takes over when the first stops, at once "
            + "when it exits, within 15 s on Kafka (10 s on the embedded log) when it is killed.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.settings(checking: "run the scheduled jobs until stopped")
        let backends = try await Backends.open(settings, create: true)
        let catalog = JobCatalog(settings: settings, backends: backends, logger: Logger(label: "stockpipe"))
        let service: SchedulerService
        do { service = try SchedulerService(catalog: catalog) } catch { await backends.close(); throw error }
        say(
            "scheduler for \(backends.dataDirectory): " + service.jobs.map { "\($0.name) (\($0.schedule))" }.joined(separator: ", ")
                + "; Ctrl-C stops")
        var quiet = Logger(label: "stockpipe")
        quiet.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: quiet))
        do { try await group.run() } catch { await backends.close(); throw error }
        await backends.close()
    }
}

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List the scheduled jobs, run one now, or show their history.",
        subcommands: [List.self, Run.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each job: its schedule, whether it runs here, its last run.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let settings = try common.settings(checking: "list the scheduled jobs")
            let backends = try await Backends.open(settings, create: false)
            let catalog = JobCatalog(settings: settings, backends: backends, logger: Logger(label: "stockpipe"))
            var lines: [String] = []
            do {
                for job in BuiltInJob.allCases {
                    let schedule = settings.jobs[job] ?? JobSettings.defaults(job)
                    let parsed = try schedule.parsedSchedule(job: job.rawValue)
                    var line = job.rawValue + ": " + job.summary
                    line += "\n    schedule  \(parsed)" + (schedule.calendar.map { $0 == "none" ? "" : ", only while \($0) is open" } ?? "")
                    line +=
                        "; timeout \(QualityText.duration(schedule.timeout)), \(schedule.attempts) attempts, backoff from "
                        + QualityText.duration(schedule.backoff)
                    if case .cron = parsed, let next = parsed.next(after: Date()) {
                        line += "\n    next      \(JobRunEntry.time(next.milliseconds)) UTC"
                    }
                    let here =
                        job == .quotePoll
                        ? "yes, in `stockpipe scheduler` (in `stockpipe run` the ingest stage polls quotes itself)"
                        : "yes, in `stockpipe run` and `stockpipe scheduler`"
                    line += "\n    runs      " + (catalog.whyOff(job).map { "no: \($0)" } ?? here)
                    if let last = try await backends.store.jobRuns(job: job.rawValue, limit: 1).first {
                        line +=
                            "\n    last run  \(JobRunEntry.time(last.startedAt)) UTC, \(last.outcome.rawValue): \(TerminalText.escaped(last.detail))"
                    }
                    lines.append(line)
                }
            } catch {
                await backends.close()
                throw error
            }
            await backends.close()
            print(lines.joined(separator: "\n\n"))
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one job now, with its attempts and timeout; kept in the history as manual.",
            discussion: "Exits 0 when the run succeeded, 1 when it failed or timed out.")
        @OptionGroup var common: CommonOptions
        @Argument(help: ArgumentHelp("The job: \(BuiltInJob.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "NAME"))
        var name: String

        func run() async throws {
            let job = try builtInJob(named: name)
            let settings = try common.settings()
            if job == .quotePoll && settings.finnhub.token == nil {
                throw UserError("quote-poll needs a Finnhub API key: set FINNHUB_TOKEN")
            }
            try common.checkpoint("run the job \(job.rawValue) now (\(settings.backendsSummary))")
            let backends = try await Backends.open(settings, create: true)
            let catalog = JobCatalog(settings: settings, backends: backends, logger: Logger(label: "stockpipe"))
            let scheduled: Job
            do { scheduled = try catalog.job(job) } catch { await backends.close(); throw error }
            let scheduler = Scheduler(jobs: [], clock: SystemSchedulerClock(), record: catalog.record)
            let run = await scheduler.runNow(scheduled)
            await backends.close()
            guard let run else { return }
            let entry = JobRunEntry(run)
            print(
                "\(job.rawValue): \(entry.outcome.rawValue) after \(entry.attempts) attempt\(entry.attempts == 1 ? "" : "s"): \(TerminalText.escaped(entry.detail))"
            )
            if entry.outcome != .succeeded { throw ExitCode(1) }
        }
    }

    struct History: RowsQuery {
        static let configuration = CommandConfiguration(abstract: "Past runs, newest first: of one job, or of all.")
        static let purpose = "show the jobs' history"

        @OptionGroup var query: QueryOptions
        @Argument(help: ArgumentHelp("Only this job.", valueName: "NAME")) var name: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("At most N runs.", valueName: "N")) var limit = 20

        func reader() throws -> (any Store) async throws -> [JobRunEntry] {
            let limit = try QueryOptions.limit(limit)
            let jobs = try name.map { [try builtInJob(named: $0)] } ?? BuiltInJob.allCases
            return { try await JobRunEntry.recent(in: $0, jobs: jobs.map(\.rawValue), limit: limit) }
        }

        var text: RowsText<JobRunEntry> {
            RowsText(empty: "no job runs yet", header: "started (UTC)         job             trigger   outcome    tries  took      detail") { run in
                let took = QualityText.duration(run.finishedAt - run.startedAt, precise: true)
                return JobRunEntry.time(run.startedAt) + "   " + run.job.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + run.trigger.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + run.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + String(run.attempts).padding(toLength: 7, withPad: " ", startingAt: 0)
                    + took.padding(toLength: 10, withPad: " ", startingAt: 0) + TerminalText.escaped(run.detail)
            }
        }
    }
}

struct QualityReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality-report",
        abstract: "Make the data-quality report now, keep it in the store, and print it.",
        discussion: "Exits 0 when every threshold holds, 3 when one is broken (the report is still kept), 1 or 2 on errors. "
            + "Thresholds: quality.* in the configuration, or the flags.")

    @OptionGroup var common: CommonOptions
    @Option(help: ArgumentHelp("A symbol is stale when its last trade is older, while the market is open.", valueName: "DURATION"))
    var freshness: String?
    @Option(
        name: .customLong("max-quarantine-percent"), parsing: .unconditional,
        help: ArgumentHelp("Most records quarantined over the window, in percent.", valueName: "N"))
    var maxQuarantinePercent: String?
    @Option(
        name: .customLong("max-gap-minutes"), parsing: .unconditional,
        help: ArgumentHelp("Most open-market minutes without trades per symbol.", valueName: "N"))
    var maxGapMinutes: String?
    @Option(help: ArgumentHelp("How far back the rate and the gaps are measured.", valueName: "DURATION")) var window: String?
    @Flag(help: "One JSON document on stdout.") var json = false

    func run() async throws {
        let settings = try common.settings { settings in
            let flags: [(String, String?)] = [
                ("quality.freshness", freshness), ("quality.max-quarantine-percent", maxQuarantinePercent),
                ("quality.max-gap-minutes", maxGapMinutes), ("quality.window", window),
            ]
            for case (let key, let value?) in flags { try settings.apply(flag: key, value: value) }
        }
        try common.checkpoint("make the data-quality report (\(settings.backendsSummary))")
        let backends = try await Backends.open(settings, create: false)
        let report: QualityReport
        do {
            report = try await QualityReport.make(backends.store, settings: settings.quality, now: WallClock.milliseconds())
            try await backends.store.saveQualityReport(report.json(), generatedAt: report.generatedAt)
        } catch {
            await backends.close()
            throw error
        }
        await backends.close()
        if json {
            try printJSON(report.document)
        } else {
            print("data quality: \(report.summary)")
            for breach in report.breaches { print("  \(breach)") }
        }
        if !report.ok { throw ExitCode(ExitStatus.thresholdBroken) }
    }
}

func builtInJob(named name: String) throws -> BuiltInJob {
    guard let job = BuiltInJob(rawValue: name) else {
        throw UserError("no job '\(name)'; jobs are \(BuiltInJob.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return job
}

enum QualityText {
    /// 600000 → "10m"; with `precise`, 1234 → "1.2s".
    static func duration(_ milliseconds: Int64, precise: Bool = false) -> String {
        if precise && milliseconds < 60_000 { return String(format: "%.1fs", Double(milliseconds) / 1_000) }
        return QualityReport.words(milliseconds)
    }
}
