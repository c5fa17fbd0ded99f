import Foundation
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import Testing

/// `--check`: the real binary parses a command line and its settings and stops before connecting.
@Suite("Check mode", .timeLimit(.minutes(5)))
struct CheckModeTests {
    /// Each leaf command of the binary's own command tree that takes `--check`, by its path.
    static func commandsTakingCheck() async throws -> [[String]] {
        let dump = try await runStockpipe(["--experimental-dump-help"])
        let document = try #require(try parseJSON(dump.stdout) as? [String: Any])
        var found: [[String]] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            if subcommands.isEmpty {
                let names = (command["arguments"] as? [[String: Any]] ?? [])
                    .flatMap { $0["names"] as? [[String: Any]] ?? [] }.compactMap { $0["name"] as? String }
                if names.contains("check") { found.append(path) }
            }
            for subcommand in subcommands { walk(subcommand, path + [subcommand["commandName"] as? String ?? "?"]) }
        }
        walk(try #require(document["command"] as? [String: Any]), [])
        return found
    }

    @Test func everyCommandThatReadsSettingsChecksWithoutConnectingOrWriting() async throws {
        let commands = try await Self.commandsTakingCheck()
        // The walk found the commands the Compose file and the DAG use, and more.
        #expect(commands.count >= 20)
        for expected in [
            ["topics", "create"], ["schema", "create"], ["ingest"], ["validate"], ["load"], ["serve"], ["scheduler"],
            ["quality-report"], ["health"], ["jobs", "run"],
        ] {
            #expect(commands.contains(expected), "\(expected) takes no --check")
        }
        let required: [String: [String]] = [
            "jobs run": ["quality-report"], "query trades": ["--symbol", "AAPL"], "query candles": ["--symbol", "AAPL"],
            "query quotes": ["--symbol", "AAPL"], "export": ["trades", "--out", "trades.csv"],
        ]
        for command in commands {
            let directory = try TemporaryDirectory()
            // Nothing listens on port 1: a command that connected would fail, and one that wrote would leave files.
            let arguments =
                command + (required[command.joined(separator: " ")] ?? [])
                + ["--brokers", "127.0.0.1:1", "--contact-points", "127.0.0.1:1", "--check"]
            let result = try await runStockpipe(arguments, in: directory.path, environment: ["FINNHUB_TOKEN": "check-mode-token"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stdout.hasPrefix("ok: "), "\(command): \(result.stdout)")
            #expect(!result.stdout.contains("check-mode-token") && !result.stderr.contains("check-mode-token"))
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(left.isEmpty, "\(command) --check wrote \(left)")
        }
    }

    @Test func itSaysWhereTheStagesWouldReadAndWrite() async throws {
        let result = try await runStockpipe([
            "load", "--brokers", "kafka-1:19092,kafka-2:19092", "--contact-points", "cassandra:9042",
            "--check",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("load stage"))
        #expect(result.stdout.contains("Kafka at kafka-1:19092,kafka-2:19092"))
        #expect(result.stdout.contains("Cassandra at cassandra:9042 (keyspace stock_data"))
        let topics = try await runStockpipe(["topics", "create", "--brokers", "k:9092", "--partitions", "12", "--check"])
        #expect(topics.stdout.contains("12 partitions and replication factor 3"), "\(topics.stdout)")
    }

    @Test func aMisspeltEnvironmentVariableIsNamedWithTheSettingItWasMeantFor() async throws {
        let result = try await runStockpipe(["validate", "--check"], environment: ["STOCKPIPE_BROKER": "kafka:9092"])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("environment variable STOCKPIPE_BROKER is not a stockpipe setting; did you mean STOCKPIPE_BROKERS?"),
            "\(result.stderr)")
        let far = try await runStockpipe(["status", "--check"], environment: ["STOCKPIPE_NONSENSE_VALUE": "1"])
        #expect(far.status == 2)
        #expect(far.stderr.contains("STOCKPIPE_NONSENSE_VALUE is not a stockpipe setting; see the README"), "\(far.stderr)")
        // Variables stockpipe reads for other things are not mistakes.
        let known = try await runStockpipe(
            ["status", "--check"],
            environment: [
                "STOCKPIPE_LOG_LEVEL": "debug", "STOCKPIPE_BIN": "/usr/bin/stockpipe",
                "STOCKPIPE_DAG_SCHEDULE": "@hourly",
            ])
        #expect(known.status == 0, "\(known.stderr)")
    }

    @Test(arguments: [
        (["serve", "--host", "0.0.0.0"], "set a token (STOCKPIPE_DASHBOARD_TOKEN"),
        (["ingest", "--source", "replay", "--file", "/no/such/feed.ndjson"], "cannot read replay file /no/such/feed.ndjson"),
        (["topics", "create"], "this command works on Kafka"),
        (["topics", "create", "--brokers", "k:9092", "--partitions", "0"], "--partitions must be at least 1"),
        (["schema", "create", "--contact-points", "c:9042", "--replication", "EveryWhere:3"], "cassandra.replication must be"),
        (["ingest", "--once"], "--drain with the simulator needs --limit N"),
        (["jobs", "run", "quote-poll"], "quote-poll needs a Finnhub API key"),
    ])
    func aCheckFailsWhereTheCommandWouldFail(arguments: [String], message: String) async throws {
        let checked = try await runStockpipe(arguments + ["--check"])
        #expect(checked.status == 2)
        #expect(checked.stderr.contains(message), "\(checked.stderr)")
        #expect(checked.stdout.isEmpty)
    }

    /// `--check` refused STOCKPIPE_CASSANDRA_JAVA_OPTS, which scripts/cassandra-1.2.sh reads: a
    /// variable set for one of the shipped files must not be taken for a misspelt setting.
    @Test func everyVariableTheShippedFilesUseIsKnown() throws {
        let root = DeploymentTests.root
        let scripts = try FileManager.default.subpathsOfDirectory(atPath: root + "/scripts").map { "scripts/" + $0 }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let shipped =
            scripts + [
                "Dockerfile", "deploy/docker-compose.yml", "deploy/stockpipe.env.example",
                "airflow/dags/stockpipe_pipeline.py",
            ]
        var used: [String: String] = [:]
        for file in shipped {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for match in text.matches(of: /STOCKPIPE_[A-Z][A-Z0-9_]*/) { used[String(match.output), default: file] = file }
        }
        #expect(used["STOCKPIPE_CASSANDRA_JAVA_OPTS"] != nil, "the scan finds the variables")
        let unknown = Settings.unknownEnvironmentVariables(used.mapValues { _ in "x" })
        #expect(unknown.isEmpty, "\(unknown.map { "\($0.name) (\(used[$0.name] ?? ""))" })")
    }

    @Test func unknownVariablesAreFoundAndTheNearestSettingSuggested() {
        let unknown = Settings.unknownEnvironmentVariables([
            "STOCKPIPE_BROKERS": "k:9092", "STOCKPIPE_CONTACT_POINT": "c", "STOCKPIPE_BENCH_ONLY": "validate", "PATH": "/bin",
            "STOCKPIPE_ZZZ": "1",
        ])
        #expect(unknown.map(\.name) == ["STOCKPIPE_CONTACT_POINT", "STOCKPIPE_ZZZ"])
        #expect(unknown.first?.suggestion == "STOCKPIPE_CONTACT_POINTS")
        #expect(unknown.last?.suggestion == nil)
    }

    /// `kafka-properties-file`, the way a Kubernetes Secret gives the SASL password: its properties
    /// reach librdkafka (`--check` tries them as a client would), those in the settings file win,
    /// and no error shows a value from it.
    @Test func aKafkaPropertiesFileIsReadCheckedAndNeverShown() async throws {
        let directory = try TemporaryDirectory()
        let properties = directory.file("client.properties")
        func check(_ text: String, settings: String? = nil) async throws -> ProcessResult {
            try text.write(toFile: properties, atomically: true, encoding: .utf8)
            var arguments = ["validate", "--brokers", "127.0.0.1:1", "--check"]
            if let settings {
                try settings.write(toFile: directory.file("stockpipe.yaml"), atomically: true, encoding: .utf8)
                arguments += ["--config", directory.file("stockpipe.yaml")]
            }
            return try await runStockpipe(arguments, in: directory.path, environment: ["STOCKPIPE_KAFKA_PROPERTIES_FILE": properties])
        }
        let sound = try await check(
            "# from the Secret\n! also a comment\n\nsecurity.protocol = SASL_PLAINTEXT\r\nsasl.mechanism=PLAIN\n"
                + "sasl.username=stockpipe\nsasl.password=hunter2=with=equals\n")
        #expect(sound.status == 0, "\(sound.stderr)")

        let badValue = try await check("# a comment\nlinger.ms=hunter2\n")
        #expect(badValue.status == 2)
        #expect(badValue.stderr.contains("line 2 of the Kafka properties file \(properties): librdkafka refuses its value"), "\(badValue.stderr)")
        let unknown = try await check("sasl.pasword=hunter2\n")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("line 1 of the Kafka properties file \(properties): not a librdkafka property"), "\(unknown.stderr)")
        let noEquals = try await check("sasl.password hunter2\n")
        #expect(noEquals.stderr.contains("line 1 of the Kafka properties file \(properties) is not name=value"), "\(noEquals.stderr)")
        // A separator other than '=' (Java's ':') and a line that is only a secret with '=' padding:
        // the error names the line, not what is before the '='.
        let colon = try await check("sasl.password: hunter2=tail\n")
        #expect(colon.stderr.contains("line 1 of the Kafka properties file"), "\(colon.stderr)")
        let padded = try await check("aHVudGVyMg==\n")
        #expect(padded.status == 2)
        // A Secret is a symbolic link: its target's size is what counts.
        let big = directory.file("big.properties")
        try String(repeating: "# padding\n", count: 10_000).write(toFile: big, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory.file("link.properties"), withDestinationPath: big)
        let linked = try await runStockpipe(
            ["validate", "--brokers", "127.0.0.1:1", "--check"], in: directory.path,
            environment: ["STOCKPIPE_KAFKA_PROPERTIES_FILE": directory.file("link.properties")])
        #expect(linked.status == 2 && linked.stderr.contains("over 64 KiB"), "\(linked.stderr)")
        for result in [badValue, unknown, noEquals, colon, padded] {
            #expect(!result.stderr.contains("hunter2") && !result.stdout.contains("hunter2"))
            #expect(!result.stderr.contains("aHVudGVyMg") && !result.stdout.contains("aHVudGVyMg"))
        }
        // The settings file's `kafka:` wins over the properties file.
        let overridden = try await check("linger.ms=7\n", settings: "kafka:\n  linger.ms: nonsense\n")
        #expect(overridden.status == 2)
        #expect(overridden.stderr.contains("Kafka property linger.ms: invalid value"), "\(overridden.stderr)")

        try FileManager.default.removeItem(atPath: properties)
        let missing = try await runStockpipe(
            ["validate", "--brokers", "127.0.0.1:1", "--check"], in: directory.path,
            environment: ["STOCKPIPE_KAFKA_PROPERTIES_FILE": properties])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the Kafka properties file \(properties)"), "\(missing.stderr)")
    }
}
