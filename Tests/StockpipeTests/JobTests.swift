import Foundation
import Logging
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import StockpipeSQLite
import StockpipeSchedule
import Testing

/// The built-in jobs over real SQLite stores filled by the pipeline, and the bounded commands
/// and job commands of the binary.
@Suite(.timeLimit(.minutes(5))) struct JobTests {
    static let minute: Int64 = 60_000

    func catalog(_ settings: Settings, _ backends: Backends) -> JobCatalog {
        JobCatalog(settings: settings, backends: backends, logger: Logger(label: "test"))
    }

    /// Runs `job` as `stockpipe jobs run` does: once, recorded as manual.
    func runNow(_ job: BuiltInJob, _ settings: Settings) async throws -> JobRunEntry {
        try await withBackends(settings.dataDirectory) { backends in
            let catalog = catalog(settings, backends)
            let run = await Scheduler(jobs: [], clock: SystemSchedulerClock(), record: catalog.record).runNow(try catalog.job(job))
            return JobRunEntry(try #require(run))
        }
    }

    @Test func theQualityReportCountsGapsStalenessAndTheQuarantineRate() async throws {
        let directory = try TemporaryDirectory()
        // AAPL trades in the minutes 20, 19, 18 and 14 ago (three empty minutes between), MSFT
        // only 40 s ago; one record quarantined of seven.
        let aapl = [-20, -19, -18, -14].map { trade("AAPL", offsetMilliseconds: Int64($0) * Self.minute) }
        let file = try directory.write(
            "f.ndjson",
            lines: [
                tradeMessage(aapl + [trade("MSFT", offsetMilliseconds: -40_000), trade("MSFT", offsetMilliseconds: -40_000, conditions: "[]")]),
                tradeMessage([trade("MSFT", price: "-1")]),
            ])
        var settings = replaySettings(file: file, dataDirectory: directory.file("data"))
        try await drain(settings)
        let now = WallClock.milliseconds()
        let report = try await withBackends(settings.dataDirectory) { backends in
            try await QualityReport.make(backends.store, settings: settings.quality, now: now)
        }
        #expect(report.symbols.map(\.symbol) == ["AAPL", "MSFT"])
        #expect(report.symbols.map(\.gapMinutes) == [3, 0])
        #expect(report.accepted == 6 && report.quarantined == 1)
        #expect(abs(report.quarantinePercent - 100.0 / 7) < 1e-9)
        // Defaults: 5 minutes fresh, 5 % quarantined, 5 gap minutes. AAPL is 14 minutes old.
        #expect(report.symbols.map(\.stale) == [true, false])
        #expect(report.breaches.count == 2)
        // 14 minutes when written; more if the machine is slow to get here.
        #expect(report.breaches.contains { $0.hasPrefix("stale: AAPL last traded 14m") || $0.hasPrefix("stale: AAPL last traded 15m") })
        #expect(report.breaches.contains { $0.hasPrefix("quarantine rate 14.29% over the last 1h (limit 5%)") })

        settings.quality.freshness = 30 * Self.minute
        settings.quality.maxQuarantinePercent = 20
        settings.quality.maxGapMinutes = 2
        let strict = try await withBackends(settings.dataDirectory) { try await QualityReport.make($0.store, settings: settings.quality, now: now) }
        #expect(strict.breaches == ["gaps: AAPL has 3 open-market minutes without trades in the last 1h (limit 2)"])

        // Reports survive their JSON form, which the store keeps.
        #expect(try QualityReport(json: strict.json()) == strict)
        #expect((try parseJSON(strict.json()) as? [String: Any])?["ok"] as? Bool == false)
    }

    /// Issue 21, point 1: over a replay of past days the dashboard said "2,568 accepted · 13,338
    /// flags in the last hour · 83.86 % flagged", because accepted trades were counted by trade
    /// time and quarantined records by the time they were quarantined. Both are now counted by
    /// when they reached the store, in the store and in the quality report.
    @Test func aReplayOfPastDaysIsCountedWhenItIsProcessed() async throws {
        let directory = try TemporaryDirectory()
        let threeDaysAgo = -3 * 24 * 60 * Self.minute
        var lines: [String] = []
        for index in 0..<40 {
            let at = threeDaysAgo + Int64(index) * 1_000
            var trades = [trade("AAPL", offsetMilliseconds: at), trade("MSFT", price: "410.5", offsetMilliseconds: at)]
            if index % 5 == 0 { trades.append(trade("MSFT", price: "-1", offsetMilliseconds: at)) }
            lines.append(tradeMessage(trades))
        }
        let settings = replaySettings(file: try directory.write("past.ndjson", lines: lines), dataDirectory: directory.file("data"))
        let started = WallClock.milliseconds()
        try await drain(settings)
        let now = WallClock.milliseconds()
        let (history, report, old) = try await withBackends(settings.dataDirectory) { backends in
            (
                try await backends.store.qualityHistory(from: now - 3_600_000, bucket: 60_000),
                try await QualityReport.make(backends.store, settings: settings.quality, now: now),
                try await backends.store.qualityHistory(from: 0, bucket: 60_000).filter { $0.start < started - 60_000 }
            )
        }
        #expect(history.reduce(0) { $0 + $1.accepted } == 80, "\(history)")
        #expect(history.reduce(0) { $0 + $1.quarantinedRecords } == 8)
        #expect(history.reduce(0) { $0 + $1.quarantined[.nonPositivePrice, default: 0] } == 8)
        #expect(old.isEmpty, "nothing is counted three days back: \(old)")
        #expect(report.accepted == 80 && report.quarantined == 8)
        #expect(abs(report.quarantinePercent - 800.0 / 88) < 1e-9)

        // Run again over the same file: nothing new is stored or counted.
        try await drain(settings)
        let again = try await withBackends(settings.dataDirectory) { backends in
            try await backends.store.qualityHistory(from: now - 3_600_000, bucket: 60_000)
        }
        #expect(again.reduce(0) { $0 + $1.accepted } == 80 && again.reduce(0) { $0 + $1.quarantinedRecords } == 8)
    }

    @Test func onNYSEHoursOnlyOpenMinutesAreGapsAndNobodyIsStaleAtNight() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        // Friday 2024-11-22, trades at 15:58 and 16:02 New York time (21:00 UTC is 16:00 EST), the report at 16:30.
        let closeUTC: Int64 = 1_732_309_200_000
        let times = [closeUTC - 2 * Self.minute, closeUTC + 2 * Self.minute]
        let trades = times.enumerated().map { index, time in
            let id = TradeID(symbol: "AAPL", price: 190, volume: 1, timestamp: time, conditions: [], occurrence: 0)
            return IncomingTrade(
                trade: Trade(symbol: "AAPL", price: 190, volume: 1, timestamp: time, conditions: [], id: id),
                origin: Origin(topic: "stock_data", partition: 0, offset: Int64(index), source: "test:\(index)"))
        }
        _ = try await store.write(StoreBatch(trades: trades))
        var settings = QualitySettings()
        settings.calendar = "nyse"
        let evening = try await QualityReport.make(store, settings: settings, now: closeUTC + 30 * Self.minute)
        // 15:59 is open, 16:00 and 16:01 are not.
        #expect(evening.symbols.first?.gapMinutes == 1)
        #expect(!evening.marketOpen && evening.staleSymbols == 0, "after the close nothing is stale")
        settings.calendar = "always"
        let always = try await QualityReport.make(store, settings: settings, now: closeUTC + 30 * Self.minute)
        #expect(always.symbols.first?.gapMinutes == 3 && always.staleSymbols == 1)
        try await store.close()
    }

    @Test func theRedriveJobNotesTheRulesThenRedrivesOnceTheyChange() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: [tradeMessage([trade("AAPL"), trade("TSLA"), trade("TSLA", price: "-1")])])
        var settings = replaySettings(file: file, dataDirectory: directory.file("data"), symbols: ["AAPL"])
        try await drain(settings)

        let first = try await runNow(.redrive, settings)
        #expect(first.outcome == .succeeded && first.detail.hasPrefix("noted the validation rules"))
        let unchanged = try await runNow(.redrive, settings)
        #expect(unchanged.detail.hasPrefix("validation rules unchanged"))

        settings.symbols = ["AAPL", "TSLA"]
        let changed = try await runNow(.redrive, settings)
        // The TSLA trade with a negative price is quarantined for a fact about itself (and for
        // its symbol): it goes through again and is quarantined again, now only as non_positive_price.
        #expect(changed.detail.hasSuffix("re-drove 2 quarantined records"), "\(changed.detail)")
        let report = try await drain(settings)
        #expect(report.store.trades == 2)
        #expect(report.store.quarantineByReason == [.nonPositivePrice: 1])
        #expect(report.balanced)
        let after = try await runNow(.redrive, settings)
        #expect(after.detail.hasPrefix("validation rules unchanged"), "the new rules were kept with the run")

        let history = try await withBackends(settings.dataDirectory) { try await $0.store.jobRuns(job: "redrive", limit: 10) }
        #expect(history.count == 4 && history.allSatisfy { $0.trigger == .manual && $0.outcome == .succeeded })
    }

    @Test func storeRetentionRemovesOldRowsAndTheCountsStillReconcile() async throws {
        let directory = try TemporaryDirectory()
        let day: Int64 = 86_400_000
        let file = try directory.write(
            "f.ndjson",
            lines: [
                tradeMessage([
                    trade("AAPL", offsetMilliseconds: -3 * day), trade("AAPL", offsetMilliseconds: -3 * day + 1), trade("AAPL"),
                ])
            ])
        let settings = replaySettings(file: file, dataDirectory: directory.file("data"))
        try await drain(settings)
        let expired = try await withBackends(settings.dataDirectory) { try await $0.store.expire(before: WallClock.milliseconds() - day) }
        #expect(expired.trades == 2 && expired.candles == 1 && !expired.expiresByItself)
        try await withBackends(settings.dataDirectory) { backends in
            #expect(try await backends.store.trades(symbol: "AAPL", from: 0, to: nil, limit: 10).count == 1)
            let report = try await StatusReport.collect(backends)
            #expect(report.store.trades == 3, "the count is of every trade stored")
            #expect(report.balanced)
        }
        // The job refuses a store retention shorter than what validation still accepts.
        var short = settings
        short.storeRetention = day
        #expect(throws: UserError.self) { try short.validate() }
    }

    @Test func jobsAreConfiguredInTheFileAndMistakesAreOneLine() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "stockpipe.yaml",
            lines: [
                "jobs:", "  quality-report:", "    schedule: \"*/5 9-16 * * 1-5\"", "    time-zone: America/New_York", "    calendar: nyse",
                "    attempts: 2", "  retention:", "    enabled: false", "quality:", "  max-quarantine-percent: 2.5", "  freshness: 90s",
            ])
        let settings = try Settings.load(configPath: config, environment: [:])
        try settings.validate()
        let quality = try #require(settings.jobs[.qualityReport])
        #expect(quality.attempts == 2 && quality.calendar == "nyse" && quality.timeZone == "America/New_York")
        #expect("\(try quality.parsedSchedule(job: "quality-report"))" == "cron */5 9-16 * * 1-5 (America/New_York)")
        #expect(settings.jobs[.retention]?.enabled == false)
        #expect(settings.quality.maxQuarantinePercent == 2.5 && settings.quality.freshness == 90_000)

        for (lines, mentions) in [
            (["jobs:", "  quality-report:", "    schedule: \"61 * * * *\""], "jobs.quality-report.schedule"),
            (["jobs:", "  nightly:", "    schedule: every 1h"], "jobs are quality-report, retention, redrive, quote-poll"),
            (["jobs:", "  redrive:", "    calendar: lse"], "jobs.redrive.calendar must be nyse, always or none"),
            (["jobs:", "  redrive:", "    time-zone: Mars/Olympus"], "IANA time zone"),
            (["quality:", "  max-quarantine-percent: 150"], "quality.max-quarantine-percent"),
        ] {
            let bad = try directory.write("bad.yaml", lines: lines)
            let result = try await runStockpipe(["jobs", "list", "--config", bad, "--data-dir", directory.file("data")])
            #expect(result.status == 2 && result.stderr.contains(mentions), "\(lines): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }

    @Test func theBoundedCommandsDrainStageByStageAndRerunsChangeNothing() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("f.ndjson")
        #expect(try await runStockpipe(["simulate", "--out", file, "--count", "4000", "--bad-fraction", "0.03", "--seed", "5"]).status == 0)
        let data = ["--data-dir", directory.file("data")]
        let replay = ["--source", "replay", "--file", file]
        for _ in 0..<2 {
            for command in [["ingest", "--once"] + replay, ["validate", "--drain"], ["load", "--drain"]] {
                let result = try await runStockpipe(command + data)
                #expect(result.status == 0, "\(command): \(result.stderr)")
            }
            let status = try #require(try parseJSON(try await runStockpipe(["status", "--json"] + data).stdout) as? [String: Any])
            let reconciliation = try #require(status["reconciliation"] as? [String: Any])
            #expect(reconciliation["balanced"] as? Bool == true && reconciliation["staged"] as? Int == 4_000)
            #expect(reconciliation["pending"] as? Int == 0)
        }
        // 3 % quarantined: under the default 5 %, over a limit of 1 %.
        let ok = try await runStockpipe(["quality-report"] + data)
        #expect(ok.status == 0 && ok.stdout.hasPrefix("data quality: ") && ok.stdout.contains(": ok"), "\(ok.stdout)\(ok.stderr)")
        let broken = try await runStockpipe(["quality-report", "--max-quarantine-percent", "1", "--json"] + data)
        #expect(broken.status == 3, "\(broken.stderr)")
        let report = try #require(try parseJSON(broken.stdout) as? [String: Any])
        #expect(report["ok"] as? Bool == false && (report["breaches"] as? [String])?.count == 1)

        let run = try await runStockpipe(["jobs", "run", "retention"] + data)
        #expect(run.status == 0 && run.stdout.hasPrefix("retention: succeeded after 1 attempt"), "\(run.stdout)\(run.stderr)")
        let history = try #require(try parseJSON(try await runStockpipe(["jobs", "history", "--json"] + data).stdout) as? [[String: Any]])
        #expect(history.count == 1 && history[0]["job"] as? String == "retention" && history[0]["trigger"] as? String == "manual")
        let unknown = try await runStockpipe(["jobs", "run", "nightly"] + data)
        #expect(unknown.status == 2 && unknown.stderr.contains("no job 'nightly'"))
        let noKey = try await runStockpipe(["jobs", "run", "quote-poll"] + data)
        #expect(noKey.status == 2 && noKey.stderr.contains("FINNHUB_TOKEN"))
    }

    @Test func theSchedulerRunsItsJobsInsideRunAndKeepsTheirHistory() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "stockpipe.yaml",
            lines: [
                "jobs:", "  quality-report:", "    schedule: every 1s", "  redrive:", "    schedule: every 1s", "  retention:",
                "    schedule: every 2s",
            ])
        let data = ["--data-dir", directory.file("data"), "--config", config]
        // Runs until the history holds three quality reports (a loaded machine is slower), then Ctrl-C.
        let (process, stdout, stderr) = try startStockpipe(["run", "--no-dashboard", "--rate", "200"] + data)
        var history: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            let listed = try await runStockpipe(["jobs", "history", "--json", "--limit", "100"] + data)
            history = (try? parseJSON(listed.stdout) as? [[String: Any]]) ?? []
            if history.filter({ $0["job"] as? String == "quality-report" }).count >= 3
                && history.contains(where: { $0["job"] as? String == "retention" })
            {
                break
            }
        }
        kill(process.processIdentifier, SIGINT)
        let status = await process.exited()
        let errors = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: stdout)
        try? FileManager.default.removeItem(atPath: stderr)
        #expect(status == 0, "\(errors)")
        #expect(errors.contains("scheduler on"))
        let byJob = Dictionary(grouping: history) { $0["job"] as? String ?? "" }
        #expect((byJob["quality-report"]?.count ?? 0) >= 3, "\(history)")
        #expect((byJob["retention"]?.count ?? 0) >= 1)
        #expect(byJob["quote-poll"] == nil, "no Finnhub key: quote-poll is off")
        #expect(history.allSatisfy { $0["trigger"] as? String == "schedule" })
        #expect((byJob["quality-report"]?.filter { $0["outcome"] as? String == "succeeded" }.count ?? 0) >= 3)
        let document = try #require(try parseJSON(try await runStockpipe(["status", "--json"] + data).stdout) as? [String: Any])
        let quality = try #require(document["quality"] as? [String: Any])
        #expect((quality["symbols"] as? [Any])?.isEmpty == false)
        #expect((document["jobs"] as? [[String: Any]])?.count == 3)
        let noScheduler = try await runStockpipe([
            "run", "--no-dashboard", "--no-scheduler", "--source", "simulator", "--limit", "10", "--drain",
            "--data-dir", directory.file("other"),
        ])
        #expect(noScheduler.status == 0 && !noScheduler.stderr.contains("scheduler on"))
    }
}
