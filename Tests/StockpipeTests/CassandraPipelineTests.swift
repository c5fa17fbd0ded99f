import AsyncHTTPClient
import Foundation
import StockpipeCassandra
import StockpipeCore
import StockpipeSources
import Testing

/// The `stockpipe` binary on the Cassandra store, as a user runs it, against Cassandra 1.2.0:
/// the same replay gives the same answers as on the embedded store, also when the server is
/// killed halfway.
@Suite("Pipeline on Cassandra", .serialized, .timeLimit(.minutes(8)))
struct CassandraPipelineTests {
    /// The settings a single 1.2 node needs, as a user would keep them in a file.
    func configFile(_ server: Cassandra12, in directory: TemporaryDirectory) throws -> String {
        try directory.write(
            "cassandra.yaml",
            lines: [
                "store: cassandra",
                "contact-points: 127.0.0.1:\(server.port)",
                "cassandra:",
                "  replication: SimpleStrategy:1",
                "  consistency: one",
            ])
    }

    /// What `query` and `status` say about each symbol, from one data directory and settings.
    func answers(_ options: [String]) async throws -> [String: String] {
        var answers: [String: String] = [:]
        for symbol in Simulator.defaultSymbols {
            for query in [["trades", "--limit", "1000000"], ["candles"], ["candles", "--interval", "5m"]] {
                let result = try await runStockpipe(["query"] + query + ["--symbol", symbol, "--json"] + options)
                #expect(result.status == 0, "\(result.stderr)")
                answers["\(query.joined(separator: " ")) \(symbol)"] = result.stdout
            }
        }
        let status = try await runStockpipe(["status", "--json"] + options)
        let document = try #require(try parseJSON(status.stdout) as? [String: Any])
        let store = try #require(document["store"] as? [String: Any])
        answers["store"] = store.keys.sorted().map { "\($0): \(store[$0] ?? "")" }.joined(separator: ", ")
        let quarantine = try await runStockpipe(["quarantine", "list", "--limit", "1000000", "--json"] + options)
        let records = try #require(try parseJSON(quarantine.stdout) as? [[String: Any]])
        answers["quarantine"] = records.map { "\($0["reasons"] ?? "") \($0["payload"] ?? "")" }.sorted().joined(separator: "\n")
        return answers
    }

    @Test(TestTool.cassandra.condition) func aReplayStoredInCassandraReadsBackAsOnTheEmbeddedStore() async throws {
        let server = try await Cassandra12.start()
        let directory = try TemporaryDirectory()
        let config = try configFile(server, in: directory)
        let replay = directory.file("replay.ndjson")
        let simulated = try await runStockpipe(["simulate", "--out", replay, "--count", "30000", "--seed", "5", "--bad-fraction", "0.03"])
        #expect(simulated.status == 0)
        let cassandra = ["--config", config, "--data-dir", directory.file("c")]

        let early = try await runStockpipe(["run", "--file", replay, "--drain", "--no-dashboard"] + cassandra)
        #expect(early.status == 2 && early.stderr.contains("stockpipe schema create"), "\(early.stderr)")
        let created = try await runStockpipe(["schema", "create", "--config", config])
        #expect(created.status == 0 && created.stdout.components(separatedBy: ": created").count == 13, "\(created.stdout)")
        let again = try await runStockpipe(["schema", "create", "--config", config])
        #expect(again.status == 0 && again.stdout.components(separatedBy: "exists already").count == 13, "\(again.stdout)")

        let embeddedRun = try await runStockpipe(["run", "--file", replay, "--drain", "--no-dashboard", "--data-dir", directory.file("e")])
        #expect(embeddedRun.status == 0, "\(embeddedRun.stderr)")
        let cassandraRun = try await runStockpipe(["run", "--file", replay, "--drain", "--no-dashboard"] + cassandra)
        #expect(cassandraRun.status == 0 && cassandraRun.stderr.contains("counts reconcile"), "\(cassandraRun.stderr)")

        let expected = try await answers(["--data-dir", directory.file("e")])
        let stored = try await answers(cassandra)
        #expect(stored.keys.sorted() == expected.keys.sorted())
        for key in expected.keys.sorted() {
            #expect(stored[key] == expected[key], "\(key)")
        }
        #expect(expected["trades --limit 1000000 AAPL", default: ""].count > 10_000, "the comparison has something to compare")

        // `stockpipe export` writes the same bytes from both stores (the quarantine's times are
        // when each run quarantined a record, so it is compared without them).
        for arguments in [["trades"], ["candles"], ["quarantine", "--format", "ndjson"]] {
            let fromEmbedded = try await runStockpipe(["export"] + arguments + ["--data-dir", directory.file("e")])
            let fromCassandra = try await runStockpipe(["export"] + arguments + cassandra)
            #expect(fromEmbedded.status == 0 && fromCassandra.status == 0, "\(fromEmbedded.stderr)\(fromCassandra.stderr)")
            func comparable(_ text: String) -> [String] {
                guard arguments[0] == "quarantine" else { return [text] }
                return text.split(separator: "\n").map { String($0.replacing(/"quarantinedAt":[0-9]+/, with: "")) }.sorted()
            }
            #expect(comparable(fromCassandra.stdout) == comparable(fromEmbedded.stdout), "export \(arguments)")
            #expect(fromEmbedded.stdout.count > 1_000, "export \(arguments): something to compare")
        }

        // The dashboard's API reads the same through the store interface.
        let embeddedServer = try await RunningDashboard.start(["serve", "--port", "0", "--data-dir", directory.file("e")])
        let cassandraServer = try await RunningDashboard.start(["serve", "--port", "0"] + cassandra)
        for path in [
            "api/v1/symbols", "api/v1/candles?symbol=AAPL&interval=5m", "api/v1/trades?symbol=MSFT&limit=50",
            "api/v1/trades?symbol=MSFT&from=0&format=csv", "api/v1/candles?symbol=AAPL&interval=1h&from=0&format=ndjson",
        ] {
            func body(_ base: String) async throws -> String {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: .seconds(20))
                #expect(response.status == .ok, "\(path)")
                return String(buffer: try await response.body.collect(upTo: 16 << 20))
            }
            let fromCassandra = try await body(cassandraServer.url)
            #expect(fromCassandra == (try await body(embeddedServer.url)), "\(path)")
        }
        #expect(await cassandraServer.stop() == 0)
        #expect(await embeddedServer.stop() == 0)
        await server.stop()
    }

    @Test(TestTool.cassandra.condition) func killingCassandraDuringALoadLosesAndDuplicatesNothing() async throws {
        let server = try await Cassandra12.start()
        let directory = try TemporaryDirectory()
        let config = try configFile(server, in: directory)
        let replay = directory.file("replay.ndjson")
        _ = try await runStockpipe(["simulate", "--out", replay, "--count", "80000", "--seed", "11", "--bad-fraction", "0.02"])
        #expect(try await runStockpipe(["schema", "create", "--config", config]).status == 0)
        let cassandra = ["--config", config, "--data-dir", directory.file("c")]
        let embeddedRun = try await runStockpipe(["run", "--file", replay, "--drain", "--no-dashboard", "--data-dir", directory.file("e")])
        #expect(embeddedRun.status == 0)

        let (run, _, stderr) = try startStockpipe(["run", "--file", replay, "--drain", "--no-dashboard"] + cassandra)
        var configuration = CassandraConfiguration(contactPoints: [("127.0.0.1", server.port)])
        configuration.consistency = .one
        let store = try await CassandraStore.open(configuration)
        var storedBeforeTheCrash: Int64 = 0
        while run.isRunning, storedBeforeTheCrash < 15_000 {
            try await Task.sleep(for: .milliseconds(100))
            storedBeforeTheCrash = try await store.counts().trades
        }
        try await store.close()
        #expect(run.isRunning, "the load was still going when the server died")
        await server.crash()
        try await Task.sleep(for: .seconds(4))
        try await server.launch()
        #expect(await run.exited() == 0)
        let log = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        #expect(log.contains("the store is unavailable; writing the batch again"), "the stage waited for the store")
        #expect(log.contains("counts reconcile"), "\(log.suffix(2_000))")

        let expected = try await answers(["--data-dir", directory.file("e")])
        let stored = try await answers(cassandra)
        for key in expected.keys.sorted() {
            #expect(stored[key] == expected[key], "\(key)")
        }
        await server.stop()
    }

    /// `load` scaled out: a second process joins while the first is writing (the partitions move
    /// only once the batch in hand is committed), then the first is killed (the second reads its
    /// last batches again). Per-day counts and candles are read, added to and written back, so
    /// two writers at once, or a batch counted twice, would show in the answers.
    @Test(TestTool.cassandra.condition) func twoLoadProcessesShareTheWorkAndOneSurvivesTheOther() async throws {
        let server = try await Cassandra12.start()
        let directory = try TemporaryDirectory()
        let config = try configFile(server, in: directory)
        let replay = directory.file("replay.ndjson")
        _ = try await runStockpipe(["simulate", "--out", replay, "--count", "60000", "--seed", "12", "--bad-fraction", "0.3"])
        #expect(try await runStockpipe(["schema", "create", "--config", config]).status == 0)
        let symbols = ["--symbols", Simulator.defaultSymbols.joined(separator: ",")]
        let embeddedRun = try await runStockpipe(
            ["run", "--file", replay, "--drain", "--no-dashboard", "--data-dir", directory.file("e")]
                + symbols)
        #expect(embeddedRun.status == 0, "\(embeddedRun.stderr)")

        let kafka = try TestKafka(partitions: 12)
        let scaled = ["--config", config, "--data-dir", directory.file("c")] + kafka.flags
        #expect(try await runStockpipe(["ingest", "--source", "replay", "--file", replay, "--drain"] + scaled).status == 0)
        let validate = try await runStockpipe(["validate", "--drain"] + symbols + scaled)
        #expect(validate.status == 0, "\(validate.stderr)")

        var configuration = CassandraConfiguration(contactPoints: [("127.0.0.1", server.port)])
        configuration.consistency = .one
        let store = try await CassandraStore.open(configuration)
        func stored(atLeast count: Int64, while process: Process) async throws -> Int64 {
            var trades: Int64 = 0
            while process.isRunning, trades < count {
                try await Task.sleep(for: .milliseconds(100))
                trades = try await store.counts().trades
            }
            return trades
        }
        // Small batches keep the loads busy long enough for both steps.
        let load = ["load", "--drain", "--batch-size", "20"] + scaled
        let (first, _, firstErr) = try startStockpipe(load)
        let beforeTheSecond = try await stored(atLeast: 5_000, while: first)
        let (second, _, secondErr) = try startStockpipe(load)
        let beforeTheKill = try await stored(atLeast: beforeTheSecond + 15_000, while: first)
        #expect(first.isRunning, "the first load was still going when it was killed (at \(beforeTheKill) trades)")
        kill(first.processIdentifier, SIGKILL)
        await first.exited()
        #expect(await second.exited() == 0, "\((try? String(contentsOfFile: secondErr, encoding: .utf8)) ?? "")")
        try await store.close()
        let firstLog = (try? String(contentsOfFile: firstErr, encoding: .utf8)) ?? ""
        #expect(!firstLog.contains("handed over with a batch still being written"), "\(firstLog.suffix(2_000))")

        let status = try await runStockpipe(["status", "--json"] + scaled)
        let document = try #require(try parseJSON(status.stdout) as? [String: Any])
        #expect((document["reconciliation"] as? [String: Any])?["balanced"] as? Bool == true, "\(status.stdout)")
        let expected = try await answers(["--data-dir", directory.file("e")])
        let actual = try await answers(scaled)
        for key in expected.keys.sorted() {
            #expect(actual[key] == expected[key], "\(key)")
        }
        await server.stop()
    }

    @Test func cassandraSettingsMistakesAreOneLine() async throws {
        let directory = try TemporaryDirectory()
        let cases: [([String], String)] = [
            (["status", "--store", "cassandra"], "--store cassandra needs --contact-points"),
            (["status", "--contact-points", "db:notaport"], "contact points must be host:port"),
            (
                ["status", "--contact-points", "127.0.0.1:1"],
                "cannot use Cassandra at 127.0.0.1:1: could not open a CQL session: no contact point answered (127.0.0.1:1: connection refused)"
            ),
            (["schema", "create", "--contact-points", "127.0.0.1:1", "--replication", "SimpleStrategy"], "cassandra.replication must be"),
            (["schema", "create", "--contact-points", "127.0.0.1:1", "--keyspace", "drop table"], "cassandra.keyspace must be"),
        ]
        for (arguments, message) in cases {
            let result = try await runStockpipe(arguments + ["--data-dir", directory.path])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count <= 2, "\(arguments): \(result.stderr)")
        }
    }
}
