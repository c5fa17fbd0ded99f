import Foundation
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import Testing

/// Every setting has a range: a value outside it, not finite, empty or of the wrong type stops the
/// command with one line naming the setting and exit 2, never a crash (issue 16, point 5).
@Suite("Setting limits", .timeLimit(.minutes(5)))
struct SettingsLimitsTests {
    /// Asserts the one-line refusal: exit 2, one line on stderr that mentions `mentions`, no trap.
    static func expectRefused(_ result: ProcessResult, mentions: String, _ context: String) {
        #expect(result.status == 2, "\(context): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(context): stderr: \(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(context): stderr: \(result.stderr)")
        for trap in ["Fatal error", "Stack dump", "backtrace", "Illegal instruction"] {
            #expect(!result.stderr.contains(trap), "\(context): \(result.stderr)")
        }
    }

    static let extremes = [
        "1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "1e-300", "0", "99999999999999d", "9223372036854775808",
        "fast",
    ]

    /// Each numeric flag of `run`, with the extreme values it must refuse (the rest of `extremes` are in range).
    static let flags: [(flag: String, refuses: [String])] = [
        ("--rate", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "0", "99999999999999d", "9223372036854775808", "fast"]),
        ("--limit", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "1e-300", "99999999999999d", "9223372036854775808", "fast"]),
        ("--seed", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "1e-300", "99999999999999d", "fast"]),
        ("--bad-fraction", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "99999999999999d", "9223372036854775808", "fast"]),
        ("--port", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "1e-300", "99999999999999d", "9223372036854775808", "fast"]),
        ("--batch-size", Self.extremes),
        ("--max-age", Self.extremes),
        ("--max-future-skew", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "99999999999999d", "9223372036854775808", "fast"]),
        (
            "--price-jump-percent",
            [
                "1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "0", "99999999999999d", "9223372036854775808",
                "fast",
            ]
        ),
        ("--max-price", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "0", "99999999999999d", "9223372036854775808", "fast"]),
        ("--max-volume", ["1e300", "-1e300", "inf", "-inf", "nan", "-1", "", "0", "99999999999999d", "9223372036854775808", "fast"]),
    ]

    @Test(
        "each numeric flag refuses huge, tiny, infinite, NaN, negative, empty and 0 values it cannot take",
        arguments: flags.map(\.flag))
    func extremeFlagValues(flag: String) async throws {
        let refuses = Self.flags.first { $0.flag == flag }!.refuses
        for value in refuses {
            // `--rate -1` and `--rate=-1` alike: a negative number is a value, not another flag.
            for arguments in [["run", flag, value, "--check"], ["run", "\(flag)=\(value)", "--check"]] {
                let result = try await runStockpipe(arguments)
                Self.expectRefused(result, mentions: flag, arguments.joined(separator: " "))
            }
        }
        for value in Self.extremes where !refuses.contains(value) {
            let result = try await runStockpipe(["run", flag, value, "--check"])
            #expect(result.status == 0, "\(flag) \(value): \(result.stderr)")
        }
    }

    @Test(
        "the edges of each range are accepted",
        arguments: [
            ["--rate", "1000000"], ["--rate", "0.001"], ["--max-age", "3650d"], ["--max-age", "1s"], ["--max-future-skew", "0"],
            ["--max-future-skew", "1d"], ["--seed", "18446744073709551615"], ["--bad-fraction", "1"], ["--port", "65535"],
            ["--batch-size", "100000"], ["--price-jump-percent", "10000"], ["--max-price", "1e12"], ["--max-volume", "1e15"],
            ["--limit", "9223372036854775807"], ["--limit", "9223372036854775807", "--rate", "0.001"],
        ])
    func edges(arguments: [String]) async throws {
        let result = try await runStockpipe(["run"] + arguments + ["--check"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
    }

    @Test(
        "just past each edge is refused",
        arguments: [
            (["--rate", "1000001"], "--rate"), (["--max-age", "3651d"], "--max-age"), (["--max-age", "0"], "--max-age"),
            (["--max-future-skew", "25h"], "--max-future-skew"), (["--port", "65536"], "--port"), (["--batch-size", "100001"], "--batch-size"),
            (["--price-jump-percent", "10001"], "--price-jump-percent"), (["--max-price", "1.1e12"], "--max-price"),
            (["--max-volume", "2e15"], "--max-volume"), (["--bad-fraction", "1.01"], "--bad-fraction"),
            (["--seed", "18446744073709551616"], "--seed"),
            (["--drain", "--limit", "9223372036854775807", "--rate", "0.001"], "--limit"),
        ])
    func pastTheEdges(arguments: [String], mentions: String) async throws {
        Self.expectRefused(try await runStockpipe(["run"] + arguments + ["--check"]), mentions: mentions, "\(arguments)")
    }

    @Test(
        "environment variables are range-checked too, and empty ones refused",
        arguments: [
            ("STOCKPIPE_RATE", "inf", "rate in environment variable STOCKPIPE_RATE"),
            ("STOCKPIPE_VALIDATION_MAX_AGE", "99999999999999d", "validation.max-age"),
            ("STOCKPIPE_VALIDATION_MAX_FUTURE_SKEW", "inf", "validation.max-future-skew"),
            ("STOCKPIPE_VALIDATION_MAX_PRICE", "1e13", "validation.max-price"),
            ("STOCKPIPE_VALIDATION_MAX_VOLUME", "0", "validation.max-volume"),
            ("STOCKPIPE_DATA_DIR", "", "data-dir in environment variable STOCKPIPE_DATA_DIR must be a directory"),
            ("STOCKPIPE_LOG_LEVEL", "bogus", "STOCKPIPE_LOG_LEVEL must be one of trace, debug, info"),
            ("STOCKPIPE_LOG_LEVEL", "", "STOCKPIPE_LOG_LEVEL"),
            ("STOCKPIPE_RETENTION_STAGING", "0", "retention.staging"),
            ("STOCKPIPE_RETENTION_STORE", "1e300d", "retention.store"),
            ("STOCKPIPE_FINNHUB_CALLS_PER_MINUTE", "9223372036854775808", "finnhub.calls-per-minute"),
            ("STOCKPIPE_FINNHUB_QUOTE_INTERVAL", "nan", "finnhub.quote-interval"),
            ("STOCKPIPE_FINNHUB_STALL_TIMEOUT", "0", "finnhub.stall-timeout"),
            ("STOCKPIPE_CASSANDRA_TTL", "99999999999999d", "cassandra.ttl"),
            ("STOCKPIPE_QUALITY_WINDOW", "inf", "quality.window"),
            ("STOCKPIPE_QUALITY_MAX_QUARANTINE_PERCENT", "nan", "quality.max-quarantine-percent"),
            ("STOCKPIPE_SYMBOLS", " , ", "symbols"),
            ("STOCKPIPE_BROKERS", "", "brokers"),
            ("STOCKPIPE_HOST", "", "host"),
        ])
    func environment(name: String, value: String, mentions: String) async throws {
        let result = try await runStockpipe(["run", "--check"], environment: [name: value])
        Self.expectRefused(result, mentions: mentions, "\(name)=\(value)")
    }

    @Test(
        "file values of the wrong type or out of range name the key and the file",
        arguments: [
            ("symbols: [AAPL, [MSFT]]", "symbols in"),
            ("symbols: [AAPL, {a: b}]", "symbols in"),
            ("rate: [1, 2]", "rate in"),
            ("rate: .inf", "rate in"),
            ("rate: 1e300", "rate in"),
            ("rate:", "rate in"),
            ("host: {a: b}", "host in"),
            ("validation: {max-age: 0}", "validation.max-age in"),
            ("validation: {max-future-skew: 99999999999999d}", "validation.max-future-skew in"),
            ("validation: {max-price: -5}", "validation.max-price in"),
            ("jobs: {retention: {attempts: 1e30}}", "jobs.retention.attempts in"),
            ("jobs: {retention: {timeout: inf}}", "jobs.retention.timeout in"),
            ("jobs: {retention: {backoff: 99999999999999d}}", "jobs.retention.backoff in"),
            ("quality: {max-gap-minutes: -1}", "quality.max-gap-minutes in"),
            ("finnhub: {max-symbols: 0}", "finnhub.max-symbols in"),
            ("data-dir: ''", "data-dir in"),
        ])
    func fileValues(yaml: String, mentions: String) async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("stockpipe.yaml", lines: [yaml])
        let result = try await runStockpipe(["run", "--config", config, "--check"], in: directory.path)
        Self.expectRefused(result, mentions: mentions, yaml)
        #expect(result.stderr.contains(config), "\(yaml): \(result.stderr)")
    }

    @Test func aFileOfNestedAliasesIsRefusedAtOnce() async throws {
        let directory = try TemporaryDirectory()
        // "Billion laughs": nine levels of nine aliases each expand to 9^9 values.
        var lines = [#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
        }
        let config = try directory.write("laughs.yaml", lines: lines)
        let started = ContinuousClock.now
        let result = try await runStockpipe(["run", "--config", config, "--check"], in: directory.path, timeout: .seconds(60))
        Self.expectRefused(result, mentions: "alias", "billion laughs")
        #expect(ContinuousClock.now - started < .seconds(30))
        // Even in a key's value position, in block style.
        let block = try directory.write("block.yaml", lines: ["base: &base 5", "rate: *base"])
        Self.expectRefused(try await runStockpipe(["run", "--config", block, "--check"], in: directory.path), mentions: "line 2", "alias")
        // A * inside a quoted or plain value is text, not an alias.
        let text = try directory.write("text.yaml", lines: [#"symbols: "*""#, "cassandra:", "  password: pa *ss # a *comment"])
        let accepted = try await runStockpipe(["run", "--config", text, "--check"], in: directory.path)
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test func aConfigurationFileOverOneMebibyteIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let comment = "# " + String(repeating: "x", count: 1_000)
        let config = try directory.write("big.yaml", lines: ["rate: 10"] + Array(repeating: comment, count: 1_100))
        Self.expectRefused(
            try await runStockpipe(["run", "--config", config, "--check"], in: directory.path),
            mentions: "at most 1 MiB", "big file")
    }

    @Test func anEmptyFileStillLetsTheEnvironmentApply() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("empty.yaml", lines: ["# nothing"])
        let result = try await runStockpipe(
            ["run", "--config", config, "--check"], in: directory.path,
            environment: ["STOCKPIPE_RATE": "0"])
        Self.expectRefused(result, mentions: "STOCKPIPE_RATE", "empty file")
    }

    @Test(
        "simulate refuses rates and counts it cannot lay out in time",
        arguments: [
            ["--rate", "1e300"], ["--rate", "inf"], ["--rate", "nan"], ["--rate", "-1"], ["--rate", "0"], ["--rate", "1e-300"],
            ["--count", "9223372036854775807", "--rate", "1"], ["--count", "-5"], ["--bad-fraction", "nan"], ["--bad-fraction", "-1"],
        ])
    func simulateExtremes(arguments: [String]) async throws {
        let directory = try TemporaryDirectory()
        var all = ["simulate", "--out", directory.file("out.ndjson")] + arguments
        if !arguments.contains("--count") { all += ["--count", "10"] }
        let result = try await runStockpipe(all, in: directory.path)
        Self.expectRefused(result, mentions: arguments[0], "\(arguments)")
    }

    @Test func listLimitsMustBePositive() async throws {
        for command in [["quarantine", "list"], ["query", "trades", "--symbol", "AAPL"], ["jobs", "history"]] {
            let result = try await runStockpipe(command + ["--limit", "-1", "--check"])
            Self.expectRefused(result, mentions: "--limit", "\(command)")
        }
    }

    @Test func durationsNeverOverflow() {
        let expected: [(String, Int64)] = [("7d", 604_800_000), ("500ms", 500), ("60", 60_000), ("1.5s", 1_500), ("15m", 900_000)]
        for (text, milliseconds) in expected {
            #expect(Settings.duration(text) == milliseconds, "\(text)")
        }
        for text in ["99999999999999d", "1e300", "inf", "nan", "-1s", "", "1e300ms", "36501d"] {
            #expect(Settings.duration(text) == nil, "\(text)")
        }
        #expect(Settings.duration("36500d") == SettingLimits.longestDuration)
    }

    @Test(
        "a mapping key that is a list, a mapping or several lines is refused with its line, never a crash",
        arguments: [
            ("? [a, b]\n: c\n", 1),
            ("[a]: 1\n", 1),
            ("? {a: 1}\n: c\n", 1),
            ("rate: 10\nvalidation:\n  ? [x]\n  : 1\n", 3),
            ("? |\n  two\n  lines\n: 1\n", 1),
        ])
    func nonScalarKeys(yaml: String, line: Int) async throws {
        let directory = try TemporaryDirectory()
        let config = directory.file("c.yaml")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await runStockpipe(["run", "--config", config, "--check"], in: directory.path)
        Self.expectRefused(result, mentions: "\(config) line \(line): a key must be a plain name, not a list or mapping", yaml)
        // Found as ./stockpipe.yaml by any command, status too.
        try yaml.write(toFile: directory.file("stockpipe.yaml"), atomically: true, encoding: .utf8)
        let status = try await runStockpipe(["status"], in: directory.path)
        Self.expectRefused(status, mentions: "stockpipe.yaml line \(line): a key must be a plain name", "status: \(yaml)")
    }

    @Test(
        "symbols the symbol pattern refuses are refused before anything runs",
        arguments: [
            (["--symbols", "aapl,BAD SYMBOL!"], "\"aapl\""),
            (["--symbols", "AAPL,BAD SYMBOL!"], "\"BAD SYMBOL!\""),
            (["--symbols", "AAPL,*"], "* allows any symbol"),
        ])
    func symbolsOutsideThePattern(arguments: [String], mentions: String) async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let result = try await runStockpipe(
            ["run"] + arguments + ["--limit", "200", "--drain", "--no-dashboard", "--data-dir", data],
            in: directory.path)
        Self.expectRefused(result, mentions: mentions, "\(arguments)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing ran")
        // `*` alone still allows any.
        let any = try await runStockpipe(["run", "--symbols", "*", "--check"], in: directory.path)
        #expect(any.status == 0, "\(any.stderr)")
    }

    @Test func symbolsAreCheckedAgainstThePatternSetInTheSameFile() async throws {
        let directory = try TemporaryDirectory()
        // The pattern comes after the symbols in the file (and keys are applied in name order).
        let config = try directory.write("stockpipe.yaml", lines: ["symbols: [AAPL]", "validation:", "  symbol-pattern: '^[a-z]+$'"])
        let result = try await runStockpipe(["run", "--config", config, "--check"], in: directory.path)
        Self.expectRefused(result, mentions: "\"AAPL\" does not match", "symbol-pattern in the file")
        #expect(result.stderr.contains("^[a-z]+$"), "\(result.stderr)")
        let lower = try directory.write("lower.yaml", lines: ["symbols: [aapl]", "validation:", "  symbol-pattern: '^[a-z]+$'"])
        let accepted = try await runStockpipe(["run", "--config", lower, "--check"], in: directory.path)
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test(
        "symbols in a file that YAML reads as numbers, flags or dates are refused",
        arguments: [
            "symbols: [AAPL, 123]", "symbols: [AAPL, true]", "symbols: [ON]", "symbols: 123", "symbols: [AAPL, 1.5]",
        ])
    func symbolsThatAreNotText(yaml: String) async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("stockpipe.yaml", lines: [yaml])
        let result = try await runStockpipe(["run", "--config", config, "--check"], in: directory.path)
        Self.expectRefused(result, mentions: "symbols in \(config) must be symbols", yaml)
        #expect(result.stderr.contains("quote it"), "\(result.stderr)")
        let quoted = try directory.write("quoted.yaml", lines: [#"symbols: [AAPL, "123", "ON"]"#])
        let accepted = try await runStockpipe(["run", "--config", quoted, "--check"], in: directory.path)
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test func smallConfigurationMessagesSayWhatIsWrong() async throws {
        let directory = try TemporaryDirectory()
        let notUTF8 = directory.file("latin1.yaml")
        try Data([0x72, 0x61, 0x74, 0x65, 0x3A, 0x20, 0x31, 0x0A, 0x23, 0x20, 0xE9, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: notUTF8))
        let encoding = try await runStockpipe(["run", "--config", notUTF8, "--check"], in: directory.path)
        Self.expectRefused(encoding, mentions: "is not UTF-8 text", "latin-1 file")
        #expect(!encoding.stderr.contains("check the path"), "\(encoding.stderr)")
        for yaml in ["validation: 5", "retention: 3d", "validation:"] {
            let config = try directory.write("nested.yaml", lines: [yaml])
            let result = try await runStockpipe(["run", "--config", config, "--check"], in: directory.path)
            let key = String(yaml.prefix { $0 != ":" })
            Self.expectRefused(result, mentions: "\(key) in \(config) must be a mapping of \(key).* settings", yaml)
            #expect(!result.stderr.contains("unknown setting"), "\(result.stderr)")
        }
        let negativeZero = try await runStockpipe(["run", "--bad-fraction", "-0.0", "--check"], in: directory.path)
        #expect(negativeZero.status == 0 && negativeZero.stdout.contains(" 0.0% defective"), "\(negativeZero.stdout)\(negativeZero.stderr)")
        #expect(!negativeZero.stdout.contains("-0"), "\(negativeZero.stdout)")
    }

    /// A shell that leaves the open-file limit at 256 (1,024 is common) does not limit a stage to
    /// that many sockets: the process raises its soft limit to the hard one when it starts. Past
    /// the soft limit the mock cluster aborted the test process (librdkafka asserts it can open a
    /// downed broker's listener again), which CI hit.
    @Test func aProcessRaisesItsOpenFileLimitToTheHardLimit() async throws {
        let directory = try TemporaryDirectory()
        let (process, _, stderr) = try startProgram(
            "/bin/bash",
            [
                "-c", #"ulimit -S -n 256 && exec "$0" "$@""#, stockpipeBinary, "ingest", "--source", "simulator", "--rate", "10",
                "--data-dir", directory.file("data"),
            ])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let hard = try #require(Self.openFileLimits(process.processIdentifier)?.hard)
        var soft: String?
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            // Until bash has exec'd the binary, /proc shows bash, whose soft limit is 256.
            let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/exe")
            if exe?.hasSuffix("/stockpipe") == true, let limits = Self.openFileLimits(process.processIdentifier), limits.soft != "256" {
                soft = limits.soft
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(
            soft == hard, "soft limit \(soft ?? "still 256"), hard \(hard); stderr: \((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "")")
    }

    /// The soft and hard "Max open files" of a process, from /proc.
    static func openFileLimits(_ pid: Int32) -> (soft: String, hard: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
        else { return nil }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        return fields.count >= 2 ? (String(fields[0]), String(fields[1])) : nil
    }
}
