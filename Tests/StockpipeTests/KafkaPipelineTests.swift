import Foundation
import GRDB
import Logging
import StockpipeApp
import StockpipeCore
import StockpipeKafka
import StockpipePipeline
import StockpipeSources
import Testing

/// The pipeline on Kafka (librdkafka's 3-broker mock cluster, replication factor 3): the stages
/// are the same as on the embedded log, and so must be what ends up in the store, whatever fails.
@Suite("Pipeline on Kafka", .serialized, .timeLimit(.minutes(6)))
struct KafkaPipelineTests {
    /// A simulated replay file, and the store an embedded-log run makes of it: the reference.
    func reference(_ directory: TemporaryDirectory, count: Int, seed: Int = 7) async throws -> (file: String, store: StoreSnapshot) {
        let file = directory.file("f.ndjson")
        let simulate = try await runStockpipe([
            "simulate", "--out", file, "--count", String(count), "--bad-fraction", "0.05",
            "--seed", String(seed),
        ])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let report = try await drain(settings(file, directory.file("embedded")))
        #expect(report.balanced)
        return (file, try StoreSnapshot(directory.file("embedded"), origins: false))
    }

    func settings(_ file: String, _ dataDirectory: String) -> Settings {
        replaySettings(file: file, dataDirectory: dataDirectory, symbols: Simulator.defaultSymbols)
    }

    /// Trades in a store, read with SQLite directly; 0 before the store exists.
    func storedTrades(_ dataDirectory: String) -> Int {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/store.sqlite"),
            let database = try? DatabaseQueue(path: dataDirectory + "/store.sqlite")
        else { return 0 }
        defer { try? database.close() }
        return (try? database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM trades") ?? 0 }) ?? 0
    }

    @Test func replayThroughKafkaStoresWhatTheEmbeddedLogStores() async throws {
        let directory = try TemporaryDirectory()
        let (file, expected) = try await reference(directory, count: 30_000)
        let kafka = try TestKafka()
        let report = try await drain(kafka.settings(settings(file, directory.file("kafka"))))
        #expect(report.balanced, "\(report.json())")
        #expect(report.staged == 30_000)
        let actual = try StoreSnapshot(directory.file("kafka"), origins: false)
        #expect(actual.trades.count > 25_000)
        #expect(actual.trades == expected.trades)
        #expect(actual.candles == expected.candles)
        #expect(actual.quarantine == expected.quarantine)
        // Every topic has replication factor 3 and all replicas in sync.
        let log = try await KafkaLog(KafkaConfiguration(["bootstrap.servers": kafka.brokers]))
        let metadata = try await log.describe()
        try await log.close()
        for name in Topic.all {
            let topic = try #require(metadata.topic(name))
            #expect(topic.partitions.count == 6)
            #expect(topic.partitions.allSatisfy { $0.replicas.count == 3 && $0.inSyncReplicas.count == 3 })
        }
    }

    @Test(TestTool.kcat.condition)
    func aBrokerDownAndLeadersMovedLoseAndDoubleNothing() async throws {
        let directory = try TemporaryDirectory()
        let (file, expected) = try await reference(directory, count: 60_000, seed: 8)
        let kafka = try TestKafka()
        let dataDirectory = directory.file("kafka")
        let runSettings = kafka.settings(settings(file, dataDirectory))
        let run = Task { try await drain(runSettings) }
        try await Task.sleep(for: .milliseconds(300))
        kafka.cluster.setBroker(1, up: false)
        try await Task.sleep(for: .seconds(3))
        for topic in Topic.all {
            for partition in 0..<kafka.partitions { kafka.cluster.setLeader(topic: topic, partition: partition, broker: 2 + partition % 2) }
        }
        kafka.cluster.setBroker(1, up: true)
        let storedWhenLeadersMoved = storedTrades(dataDirectory)
        let report = try await run.value
        #expect(storedWhenLeadersMoved < expected.trades.count, "the run had finished before the leaders moved")
        #expect(report.balanced, "\(report.json())")
        let actual = try StoreSnapshot(dataDirectory, origins: false)
        #expect(actual.trades == expected.trades)
        #expect(actual.candles == expected.candles)
        #expect(actual.quarantine == expected.quarantine)
        try await CommittedTopics.read(kafka).expectExactlyOnce(staged: 60_000)
    }

    @Test(TestTool.kcat.condition)
    func killedProcessesRestartedLeaveTheStoreExact() async throws {
        let directory = try TemporaryDirectory()
        let (file, expected) = try await reference(directory, count: 100_000, seed: 9)
        let kafka = try TestKafka(partitions: 12)
        let dataDirectory = directory.file("kafka")
        let run =
            [
                "run", "--source", "replay", "--file", file, "--drain", "--no-dashboard", "--data-dir", dataDirectory,
                "--batch-size", "2000",
            ] + kafka.flags

        // First kill: while ingest is part-way (validate is still joining its group).
        var (process, _, _) = try startStockpipe(run)
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGKILL)
        await process.exited()

        // Second kill: once the store holds part of the trades.
        (process, _, _) = try startStockpipe(run)
        let deadline = ContinuousClock.now + .seconds(90)
        while storedTrades(dataDirectory) < expected.trades.count / 10 && process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        let storedAtKill = storedTrades(dataDirectory)
        #expect(storedAtKill > 0 && storedAtKill < expected.trades.count, "second kill at \(storedAtKill) stored trades")

        let final = try await runStockpipe(run)
        #expect(final.status == 0, "\(final.stderr)")
        let actual = try StoreSnapshot(dataDirectory, origins: false)
        #expect(actual.trades == expected.trades)
        #expect(actual.candles == expected.candles)
        #expect(actual.quarantine == expected.quarantine)
        let status = try await runStockpipe(["status", "--json", "--data-dir", dataDirectory] + kafka.flags)
        let document = try #require(try parseJSON(status.stdout) as? [String: Any])
        let reconciliation = try #require(document["reconciliation"] as? [String: Any])
        #expect(reconciliation["balanced"] as? Bool == true, "\(status.stdout)")
        #expect(reconciliation["staged"] as? Int == 100_000)
        // Not only the store: every consumer of the topics sees each record once.
        try await CommittedTopics.read(kafka).expectExactlyOnce(staged: 100_000)
    }

    @Test(TestTool.kcat.condition)
    func twoValidateProcessesShareTheWorkAndOneSurvivesTheOther() async throws {
        let directory = try TemporaryDirectory()
        let (file, expected) = try await reference(directory, count: 60_000, seed: 10)
        let kafka = try TestKafka(partitions: 12)
        let dataDirectory = directory.file("kafka")
        let common = ["--data-dir", dataDirectory] + kafka.flags
        let ingest = try await runStockpipe(["ingest", "--source", "replay", "--file", file, "--drain"] + common)
        #expect(ingest.status == 0, "\(ingest.stderr)")

        // Small batches keep the validators busy long enough for one to be killed mid-stream.
        let validate = ["validate", "--drain", "--batch-size", "200", "--symbols", Simulator.defaultSymbols.joined(separator: ",")] + common
        let (first, _, _) = try startStockpipe(validate)
        let (second, secondOut, secondErr) = try startStockpipe(validate)
        // Wait until the group has committed some of staging, then kill one member.
        let deadline = ContinuousClock.now + .seconds(60)
        var committed = 0
        while committed == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            let status = try await runStockpipe(["status", "--json"] + common)
            let stages = (try? parseJSON(status.stdout) as? [String: Any])?["stages"] as? [String: Any]
            committed = (stages?["validate"] as? [String: Any])?["position"] as? Int ?? 0
        }
        #expect(committed > 0 && committed < 60_000, "killed at \(committed) committed")
        kill(first.processIdentifier, SIGKILL)
        await first.exited()
        await second.exited()
        #expect(second.terminationStatus == 0, "\((try? String(contentsOfFile: secondErr, encoding: .utf8)) ?? "")")
        _ = secondOut

        let load = try await runStockpipe(["load", "--drain"] + common)
        #expect(load.status == 0, "\(load.stderr)")
        let actual = try StoreSnapshot(dataDirectory, origins: false)
        #expect(actual.trades == expected.trades)
        #expect(actual.candles == expected.candles)
        #expect(actual.quarantine == expected.quarantine)
        try await CommittedTopics.read(kafka).expectExactlyOnce(staged: 60_000)
    }
}
