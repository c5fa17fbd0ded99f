import Foundation
import Logging
import StockpipeApp
import StockpipeCore
import StockpipeKafka
import StockpipePipeline
import Testing

/// What stockpipe writes to Kafka is readable by another client (kcat), what another client
/// writes is processed by stockpipe, and mistakes about Kafka get one clear line.
@Suite("Kafka interop and errors", .serialized, .timeLimit(.minutes(5)))
struct KafkaInteropTests {
    /// Runs validate and load in this process until the topics are drained.
    func validateAndLoad(_ settings: Settings) async throws -> StatusReport {
        let backends = try await Backends.open(settings, create: true)
        let runner = PipelineRunner(
            settings: settings, stages: [.validate, .load], drain: true, showProgress: false,
            logger: Logger(label: "test"))
        try await runner.run(backends)
        let report = try await StatusReport.collect(backends)
        await backends.close()
        return report
    }

    @Test(TestTool.kcat.condition)
    func kcatWritesStagingAndReadsTheDocumentedFormats() async throws {
        _ = try TestTool.kcat.require()
        let kafka = try TestKafka(partitions: 3)
        let directory = try TemporaryDirectory()
        let good = [
            trade("AAPL", price: "187.5", volume: "100"), trade("MSFT", price: "410", volume: "3", conditions: "null"),
            trade("BINANCE:BTCUSDT", price: "97000.25", volume: "0.005", conditions: #"["12","37"]"#),
        ]
        let bad = trade("AAPL", price: "187.5", volume: "-5")
        let lines = (good + [bad]).map { line in
            let symbol = (try? FinnhubTrade.parse(Array(line.utf8)))?.symbol ?? ""
            return symbol + "|" + line
        }
        let produced = try await kcat(["-P", "-b", kafka.brokers, "-t", Topic.staging, "-K", "|"], input: lines.joined(separator: "\n") + "\n")
        #expect(produced.status == 0)

        var settings = kafka.settings(Settings())
        settings.dataDirectory = directory.file("data")
        settings.symbols = ["*"]
        let report = try await validateAndLoad(settings)
        #expect(report.store.trades == 3)
        #expect(report.store.quarantined == 1)
        #expect(report.store.quarantineByReason[.negativeVolume] == 1)

        // stock_data, read by kcat: key = symbol, value = the documented JSON.
        let valid = try await kcat(["-C", "-b", kafka.brokers, "-t", Topic.stockData, "-e", "-q", "-f", "%k\t%s\n"])
        let records = valid.output.split(separator: "\n").map { $0.split(separator: "\t", maxSplits: 1).map(String.init) }
        #expect(records.count == 3)
        for record in records {
            let object = try #require(try parseJSON(record[1]) as? [String: Any])
            #expect(Set(object.keys) == ["symbol", "price", "volume", "timestamp", "conditions", "id"])
            #expect(object["symbol"] as? String == record[0])
            #expect((object["id"] as? String)?.count == 32)
            #expect(object["conditions"] is [String])
        }
        let bitcoin = try #require(records.first { $0[0] == "BINANCE:BTCUSDT" })
        let object = try #require(try parseJSON(bitcoin[1]) as? [String: Any])
        #expect(object["price"] as? Double == 97000.25)
        #expect(object["volume"] as? Double == 0.005)
        #expect(object["conditions"] as? [String] == ["12", "37"])

        // bad_stock_data: the original payload, the reasons (also as a header) and the origin.
        let quarantined = try await kcat(["-C", "-b", kafka.brokers, "-t", Topic.badStockData, "-e", "-q", "-f", "%h\t%s\n"])
        let fields = try #require(quarantined.output.split(separator: "\n").first?.split(separator: "\t", maxSplits: 1))
        #expect(fields.count == 2)
        #expect(fields[0].contains("reasons=negative_volume"))
        let document = try #require(try parseJSON(String(fields[1])) as? [String: Any])
        #expect(document["reasons"] as? [String] == ["negative_volume"])
        #expect(document["payload"] as? String == bad)
        let origin = try #require(document["origin"] as? [String: Any])
        #expect(origin["topic"] as? String == Topic.staging)
        #expect(origin["partition"] is Int)
        #expect(origin["offset"] is Int)
        #expect(document["quarantinedAt"] is Int)
    }

    @Test func aRecordTooBigForKafkaIsQuarantinedNotFatal() async throws {
        let kafka = try TestKafka(partitions: 3)
        let directory = try TemporaryDirectory()
        let conditions = "[" + (0..<10_000).map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let file = try directory.write(
            "f.ndjson",
            lines: [
                tradeMessage([trade("AAPL"), trade("AAPL", conditions: conditions)]), tradeMessage([trade("MSFT")]),
            ])
        var settings = kafka.settings(replaySettings(file: file, dataDirectory: directory.file("data")))
        settings.kafka.properties["message.max.bytes"] = "40000"
        let report = try await drain(settings)
        #expect(report.store.trades == 2)
        #expect(report.store.quarantineByReason[.malformed] == 1)
        #expect(report.balanced, "\(report.json())")
        let listed = try await runStockpipe(["quarantine", "list", "--json", "--data-dir", directory.file("data")])
        let entries = try #require(try parseJSON(listed.stdout) as? [[String: Any]])
        let origin = try #require(entries.first?["origin"] as? [String: Any])
        #expect((origin["originalSize"] as? Int ?? 0) > 40_000)
        #expect(((entries.first?["payload"] as? String)?.utf8.count ?? .max) <= 4_096)
    }

    @Test func unreachableBrokersGiveOneClearLine() async throws {
        let started = ContinuousClock.now
        let result = try await runStockpipe([
            "run", "--brokers", "127.0.0.1:1", "--limit", "10", "--drain", "--no-dashboard",
            "--data-dir", try TemporaryDirectory().file("d"),
        ])
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:1"))
        #expect(result.stderr.contains("check --brokers"))
        print("unreachable brokers reported after \(elapsed)")
    }

    @Test func missingTopicsAndNoAdminAPIAreExplained() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        defer { cluster.close() }
        let run = try await runStockpipe([
            "run", "--brokers", cluster.bootstrapServers, "--limit", "10", "--drain", "--no-dashboard",
            "--data-dir", try TemporaryDirectory().file("d"),
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("do not exist"), "\(run.stderr)")
        #expect(run.stderr.contains("stockpipe topics create"))
        // The mock has no Admin API: the command says so rather than hanging.
        let create = try await runStockpipe(["topics", "create", "--brokers", cluster.bootstrapServers])
        #expect(create.status == 2)
        #expect(create.stderr.contains("Admin API"), "\(create.stderr)")
    }

    @Test func topicsAreSpecifiedAsTheDesignSays() {
        let specs = TopicSpec.pipeline()
        #expect(specs.map(\.name) == [Topic.staging, Topic.stockData, Topic.badStockData])
        #expect(specs.allSatisfy { $0.partitions == 6 && $0.replicationFactor == 3 && $0.configs["min.insync.replicas"] == "2" })
        #expect(specs.map { $0.configs["retention.ms"] } == ["259200000", "259200000", "2592000000"])
        #expect(
            TopicSpec.pipeline(partitions: 12, replicationFactor: 1).allSatisfy {
                $0.partitions == 12 && $0.configs["min.insync.replicas"] == "1"
            })
    }

    @Test func topicsDescribeShowsReplicasAndLag() async throws {
        let kafka = try TestKafka(partitions: 2)
        let result = try await runStockpipe(["topics", "describe", "--json"] + kafka.flags)
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try parseJSON(result.stdout) as? [String: Any])
        #expect((document["brokers"] as? [Any])?.count == 3)
        let staging = try #require((document["topics"] as? [String: Any])?[Topic.staging] as? [[String: Any]])
        #expect(staging.count == 2)
        #expect(staging.allSatisfy { ($0["replicas"] as? [Int])?.count == 3 && ($0["inSyncReplicas"] as? [Int])?.count == 3 })
        let groups = try #require(document["groups"] as? [[String: Any]])
        #expect(groups.map { $0["group"] as? String } == ["validate", "load", "load-quarantine"])
    }
}
