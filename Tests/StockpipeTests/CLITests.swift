import Foundation
import Testing

/// The binary as a user runs it: one-line errors, exact JSON documents, and a store that survives
/// `kill -9` at any moment.
@Suite("stockpipe command line", .timeLimit(.minutes(5)))
struct CLITests {
    @Test(
        "user mistakes give one line on stderr and a non-zero exit",
        arguments: [
            (["run", "--source", "replay", "--file", "/nonexistent/f.ndjson", "--drain"], "cannot read replay file"),
            (["run", "--bogus-flag"], "--bogus-flag"),
            (["run", "--rate", "fast"], "rate"),
            (["run", "--source", "carrier-pigeon"], "one of simulator, replay, finnhub"),
            (["run", "--drain"], "--limit"),
            (["query", "candles", "--symbol", "AAPL", "--interval", "7m"], "--interval"),
            (["quarantine", "list", "--reason", "bad_vibes"], "unknown reason"),
            (["status"], "no pipeline data"),
            (["run", "--file", "/tmp", "--drain"], "not a regular file"),
            (["topics", "describe", "--brokers", "127.0.0.1:1"], "; check --brokers and that they are up"),
        ])
    func mistakes(arguments: [String], mentions: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await runStockpipe(arguments + ["--data-dir", directory.file("data")], in: directory.path)
        // 2 for a mistake in settings or input, 64 for a malformed command line; 1 is for failures.
        #expect(result.status == 2 || result.status == 64, "exit \(result.status)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mentions), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
    }

    /// The libraries' errors are typed; the command line turns them into these sentences, with the
    /// flag that fixes each. A few exact lines, as users see them.
    @Test(
        "exact error lines, with the flag that fixes each",
        arguments: [
            (
                ["run", "--source", "replay", "--file", "/nonexistent/f.ndjson", "--drain"],
                "stockpipe: error: cannot read replay file /nonexistent/f.ndjson: No such file or directory; check the path given to --file"
            ),
            (["run", "--file", "/tmp", "--drain"], "stockpipe: error: replay file /tmp is not a regular file; give an NDJSON file to --file"),
            (
                ["serve", "--host", "0.0.0.0"],
                "stockpipe: error: the dashboard on 0.0.0.0 would be reachable from the network: set a token "
                    + "(STOCKPIPE_DASHBOARD_TOKEN or dashboard-token), or bind to 127.0.0.1"
            ),
        ])
    func exactErrorLines(arguments: [String], line: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await runStockpipe(arguments + ["--data-dir", directory.file("data")], in: directory.path)
        #expect(result.status == 2, "exit \(result.status)")
        #expect(result.stderr == line + "\n", "stderr: \(result.stderr)")
    }

    @Test func invalidConfigurationNamesTheSetting() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("stockpipe.yaml", lines: ["source: replay", "validation:", "  max-age: soon"])
        let result = try await runStockpipe(["status", "--config", config], in: directory.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("validation.max-age") && result.stderr.split(separator: "\n").count == 1)
        let unknown = try directory.write("typo.yaml", lines: ["sourse: replay"])
        let typo = try await runStockpipe(["status", "--config", unknown], in: directory.path)
        #expect(typo.stderr.contains("unknown setting 'sourse'"))
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverTheFile() async throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("stockpipe.yaml", lines: ["data-dir: from-file"])
        let file = try directory.write("f.ndjson", lines: [tradeMessage([trade("AAPL")])])
        _ = try await runStockpipe(["run", "--file", file, "--drain", "--port", "0"], in: directory.path)
        #expect(FileManager.default.fileExists(atPath: directory.file("from-file/store.sqlite")))
        _ = try await runStockpipe(
            ["run", "--file", file, "--drain", "--port", "0"], in: directory.path, environment: ["STOCKPIPE_DATA_DIR": "from-env"])
        #expect(FileManager.default.fileExists(atPath: directory.file("from-env/store.sqlite")))
        _ = try await runStockpipe(
            ["run", "--file", file, "--drain", "--port", "0", "--data-dir", "from-flag"], in: directory.path,
            environment: ["STOCKPIPE_DATA_DIR": "from-env"])
        #expect(FileManager.default.fileExists(atPath: directory.file("from-flag/store.sqlite")))
    }

    @Test func jsonOutputsHaveTheDocumentedShape() async throws {
        let directory = try TemporaryDirectory()
        let data = ["--data-dir", directory.file("data")]
        let file = directory.file("f.ndjson")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "3000", "--bad-fraction", "0.05", "--seed", "3", "--json"])
        #expect(simulate.status == 0)
        let summary = try #require(try parseJSON(simulate.stdout) as? [String: Any])
        #expect(summary["records"] as? Int == 3000)
        let run = try await runStockpipe(["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard"] + data)
        #expect(run.status == 0, "stderr: \(run.stderr)")

        let status = try #require(try parseJSON(try await runStockpipe(["status", "--json"] + data).stdout) as? [String: Any])
        for key in ["topics", "stages", "store", "quarantine", "reconciliation", "sources"] { #expect(status[key] != nil, "\(key)") }
        let reconciliation = try #require(status["reconciliation"] as? [String: Any])
        #expect(reconciliation["balanced"] as? Bool == true)

        let trades = try #require(
            try parseJSON(try await runStockpipe(["query", "trades", "--symbol", "AAPL", "--json"] + data).stdout) as? [[String: Any]])
        #expect(!trades.isEmpty)
        #expect(Set(trades[0].keys) == ["symbol", "price", "volume", "timestamp", "conditions"])

        let candles = try #require(
            try parseJSON(try await runStockpipe(["query", "candles", "--symbol", "AAPL", "--json"] + data).stdout) as? [[String: Any]])
        #expect(!candles.isEmpty)
        #expect(Set(candles[0].keys) == ["symbol", "interval", "start", "open", "high", "low", "close", "volume", "vwap", "trades"])
        #expect(candles.reduce(0) { $0 + ($1["trades"] as? Int ?? 0) } > 0)

        let quarantine = try #require(
            try parseJSON(try await runStockpipe(["quarantine", "list", "--json", "--limit", "500"] + data).stdout) as? [[String: Any]])
        #expect(!quarantine.isEmpty)
        #expect(Set(quarantine[0].keys) == ["reasons", "payload", "origin", "quarantinedAt"])
        let origin = try #require(quarantine[0]["origin"] as? [String: Any])
        #expect(origin["topic"] != nil && origin["offset"] != nil && origin["source"] != nil && origin["partition"] != nil)
    }

    /// Feed bytes and stored text are printed with their control characters escaped, so a replay
    /// line cannot recolour the terminal, set its title or forge lines; `--json` keeps them exact.
    @Test func storedTextFromAFeedCannotDriveTheTerminal() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let hostile = "not json \u{1B}[31mRED \u{1B}]0;pwned\u{07} \u{9B}2J \u{2028}x\u{7F}"
        let file = try directory.write("f.ndjson", lines: [hostile, tradeMessage([trade("AAPL", conditions: #"["\u001b[2J","\u0085x"]"#)])])
        let run = try await runStockpipe(["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard", "--data-dir", data])
        #expect(run.status == 0, "\(run.stderr)")
        /// Whether `text` holds a control character other than the line breaks of its layout.
        func raw(_ text: String) -> Bool {
            text.unicodeScalars.contains {
                ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || [0x2028, 0x2029].contains($0.value)
            }
        }
        let list = try await runStockpipe(["quarantine", "list", "--data-dir", data])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(!raw(list.stdout), "\(list.stdout.debugDescription)")
        #expect(list.stdout.contains(#"not json \u{1b}[31mRED \u{1b}]0;pwned\u{7} \u{9b}2J \u{2028}x\u{7f}"#), "\(list.stdout.debugDescription)")
        let listJSON = try await runStockpipe(["quarantine", "list", "--json", "--data-dir", data])
        #expect(!raw(listJSON.stdout), "\(listJSON.stdout.debugDescription)")
        let records = try #require(try parseJSON(listJSON.stdout) as? [[String: Any]])
        #expect(records.compactMap { $0["payload"] as? String } == [hostile], "the JSON still holds the bytes exactly")
        let trades = try await runStockpipe(["query", "trades", "--symbol", "AAPL", "--data-dir", data])
        #expect(trades.status == 0, "\(trades.stderr)")
        #expect(!raw(trades.stdout), "\(trades.stdout.debugDescription)")
        #expect(trades.stdout.contains(#"\u{1b}[2J,\u{85}x"#), "\(trades.stdout.debugDescription)")
        let tradesJSON = try await runStockpipe(["query", "trades", "--symbol", "AAPL", "--json", "--data-dir", data])
        #expect(!raw(tradesJSON.stdout), "\(tradesJSON.stdout.debugDescription)")
        let stored = try #require(try parseJSON(tradesJSON.stdout) as? [[String: Any]])
        #expect(stored.first?["conditions"] as? [String] == ["\u{1B}[2J", "\u{85}x"], "\(tradesJSON.stdout)")
        let missing = try await runStockpipe(["query", "trades", "--symbol", "\u{1B}[31mX", "--data-dir", data])
        #expect(!raw(missing.stdout) && missing.stdout.contains(#"\u{1b}[31mX"#), "\(missing.stdout.debugDescription)")
    }
}
