import CRdKafka
import Foundation
import StockpipeApp
import StockpipeCore
import StockpipeSQLite
import StockpipeSources
import Synchronization
import Testing

@testable import StockpipeKafka

/// One process at a time: one ingest per source and one scheduler per pipeline, on either log,
/// however many replicas a deployment starts (an active one and standbys).
@Suite("One at a time", .timeLimit(.minutes(4)))
struct HoldTests {
    /// Whether the task that sets `done` is still waiting after `wait`.
    func stillWaiting(done: borrowing Mutex<Bool>, after wait: Duration) async throws -> Bool {
        try await Task.sleep(for: wait)
        return !done.withLock { $0 }
    }

    @Test func aSecondHoldOnTheEmbeddedLogWaitsUntilTheFirstIsReleased() async throws {
        let directory = try TemporaryDirectory()
        // Two processes: each log has a lease owner of its own.
        let log = try EmbeddedLog(.init(path: directory.file("log.sqlite")))
        let other = try EmbeddedLog(.init(path: directory.file("log.sqlite")))
        let first = try await log.hold("scheduler")
        #expect(first.isHeld)
        let done = Mutex(false)
        let second = Task {
            let hold = try await other.hold("scheduler")
            done.withLock { $0 = true }
            return hold
        }
        #expect(try await stillWaiting(done: done, after: .seconds(2)))
        #expect(first.isHeld)
        await first.release()
        #expect(!first.isHeld)
        let taken = try await second.value
        #expect(taken.isHeld)
        await taken.release()
        try await log.close()
        try await other.close()
    }

    /// On Kafka: a second hold waits while the first renews; a holder that stops renewing (as a
    /// killed one) is taken over after the lease and may not act from two thirds of it on; one
    /// released is taken at once.
    @Test func aHoldOnKafkaIsTakenOverAfterItsHolderStopsAndAtOnceWhenReleased() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        defer { cluster.close() }
        try cluster.createTopic(Topic.staging, partitions: 1, replicationFactor: 3)
        let configuration = KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers])
        let lease = Duration.seconds(4)
        let first = try await KafkaHold.take("scheduler", configuration: configuration, lease: lease)
        #expect(first.isHeld)

        let done = Mutex(false)
        let second = Task {
            let hold = try await KafkaHold.take("scheduler", configuration: configuration, lease: lease)
            done.withLock { $0 = true }
            return hold
        }
        // The first renews every lease / 15: the second waits well past the lease.
        #expect(try await stillWaiting(done: done, after: lease * 2))
        #expect(first.isHeld)

        first.abandon()
        let stopped = ContinuousClock.now
        let taken = try await second.value
        #expect(ContinuousClock.now - stopped >= lease * 2 / 3, "taken before the lease ran out")
        #expect(taken.isHeld)
        #expect(!first.isHeld)
        await first.release()

        // Released: a third takes it in one attempt, well within the lease.
        await taken.release()
        let started = ContinuousClock.now
        let third = try await KafkaHold.take("scheduler", configuration: configuration, lease: lease)
        #expect(ContinuousClock.now - started < lease / 2)
        #expect(third.isHeld)
        await third.release()
    }

    /// A hold that went unrenewed while the brokers were slow is taken again when they answer,
    /// if nobody took it meanwhile (before, the holder stopped: "another process took over", with
    /// no other process); once another value is in the register, it is lost for good.
    @Test func aHoldThatLapsedWhileTheBrokersWereSlowIsTakenAgainUnlessAnotherTookIt() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        defer { cluster.close() }
        try cluster.createTopic(Topic.staging, partitions: 1, replicationFactor: 3)
        let configuration = KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers])
        for anotherTakesIt in [false, true] {
            let name = anotherTakesIt ? "taken" : "lapsed"
            let hold = try await KafkaHold.take(name, configuration: configuration, lease: .seconds(3))
            #expect(hold.isHeld)
            // Renewals answered after the write bound do not count: the hold lapses.
            for broker: Int32 in 1...3 { cluster.setRoundTrip(broker: broker, milliseconds: 400) }
            let deadline = ContinuousClock.now + .seconds(20)
            while hold.isHeld && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!hold.isHeld)
            for broker: Int32 in 1...3 { cluster.setRoundTrip(broker: broker, milliseconds: 0) }
            if anotherTakesIt {
                let other = try GroupOffsets.client(configuration, group: KafkaHold.register(name))
                try KafkaOffsets.commitMetadata(
                    other, Array("another process".utf8), topic: Topic.staging, partition: 0, group: KafkaHold.register(name))
                rd_kafka_destroy(other.pointer)
                #expect(await hold.reclaim() == false)
                await #expect(throws: LogError.self) { try await hold.ensureHeld(name) }
            } else {
                #expect(await hold.reclaim())
                #expect(hold.isHeld)
                try await hold.ensureHeld(name)
            }
            await hold.release()
        }
    }

    /// Two ingests of one replay file on Kafka, as an active one and a standby: the standby says
    /// whom it waits for and stages nothing while the first runs; when the first is killed it
    /// takes over, and every line of the file (which grows meanwhile) is staged exactly once.
    @Test(TestTool.kcat.condition)
    func aStandbyIngestWaitsTakesOverWhenTheFirstIsKilledAndNothingIsStagedTwice() async throws {
        let directory = try TemporaryDirectory()
        var parts: [String] = []
        for (index, count) in [20_000, 3_000, 3_000].enumerated() {
            let part = directory.file("part\(index).ndjson")
            let simulate = try await runStockpipe([
                "simulate", "--out", part, "--count", String(count), "--bad-fraction", "0.05", "--seed", String(20 + index),
            ])
            try #require(simulate.status == 0, "\(simulate.stderr)")
            parts.append(try String(contentsOfFile: part, encoding: .utf8))
        }
        let file = directory.file("feed.ndjson")
        try parts[0].write(toFile: file, atomically: false, encoding: .utf8)
        func append(_ text: String) throws {
            let handle = try #require(FileHandle(forWritingAtPath: file))
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        }

        let kafka = try TestKafka(partitions: 3)
        let ingest = ["ingest", "--source", "replay", "--file", file, "--data-dir", directory.file("data")] + kafka.flags
        func staged() async throws -> Int {
            let status = try await runStockpipe(["status", "--json", "--data-dir", directory.file("data")] + kafka.flags)
            // Nothing yet (no JSON) before the first ingest has started.
            let document = (try? parseJSON(status.stdout)) as? [String: Any]
            return (document?["reconciliation"] as? [String: Any])?["staged"] as? Int ?? -1
        }
        func waitUntilStaged(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            var now = try await staged()
            while now < count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                now = try await staged()
            }
            #expect(now == count, "staged \(now) of \(count)")
        }

        let (first, _, _) = try startStockpipe(ingest)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await waitUntilStaged(20_000)
        let (second, _, secondErrors) = try startStockpipe(ingest)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(30)
        var said = ""
        while !said.contains("waiting for source:replay:") && second.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            said = (try? String(contentsOfFile: secondErrors, encoding: .utf8)) ?? ""
        }
        #expect(said.contains("waiting for source:replay:\(file), held by process \(first.processIdentifier) on "), "\(said)")

        // The first stages what is added while the second waits.
        try append(parts[1])
        try await waitUntilStaged(23_000)
        #expect(second.isRunning)

        kill(first.processIdentifier, SIGKILL)
        await first.exited()
        try append(parts[2])
        // A holder of this host that is gone is taken over at once, not after the lease.
        try await waitUntilStaged(26_000)
        second.interrupt()
        await second.exited()
        #expect(second.terminationStatus == 0, "\((try? String(contentsOfFile: secondErrors, encoding: .utf8)) ?? "")")

        let read = try await kcat(["-C", "-b", kafka.brokers, "-t", Topic.staging, "-e", "-q", "-f", "%h\n"])
        let sources = read.output.split(separator: "\n").compactMap { line in
            line.split(separator: ",").first { $0.hasPrefix("source=") }
        }
        #expect(sources.count == 26_000)
        #expect(Set(sources).count == sources.count, "\(sources.count - Set(sources).count) records staged twice")
    }

    /// `stockpipe scheduler` twice over one store: the second waits, naming the first, and runs
    /// the jobs once the first is killed.
    @Test func aStandbySchedulerWaitsAndTakesOverTheJobs() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let configuration = directory.file("stockpipe.yaml")
        try "jobs:\n  quality-report:\n    schedule: every 1s\n".write(toFile: configuration, atomically: true, encoding: .utf8)
        let scheduler = ["scheduler", "--data-dir", data, "--config", configuration]
        let (first, _, _) = try startStockpipe(scheduler)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        func runs() async throws -> Int {
            let history = try await runStockpipe(["jobs", "history", "--json", "--limit", "10000", "--data-dir", data])
            return (try? parseJSON(history.stdout) as? [Any])?.count ?? 0
        }
        var deadline = ContinuousClock.now + .seconds(60)
        while try await runs() == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(250)) }
        try #require(try await runs() > 0)

        let (second, _, secondErrors) = try startStockpipe(scheduler)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        deadline = ContinuousClock.now + .seconds(30)
        var said = ""
        while !said.contains("waiting for scheduler") && second.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            said = (try? String(contentsOfFile: secondErrors, encoding: .utf8)) ?? ""
        }
        #expect(said.contains("waiting for scheduler, held by process \(first.processIdentifier)"), "\(said)")

        kill(first.processIdentifier, SIGKILL)
        await first.exited()
        let before = try await runs()
        deadline = ContinuousClock.now + .seconds(30)
        while try await runs() <= before && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(250)) }
        #expect(try await runs() > before, "the standby ran no job after the first was killed")
        #expect(second.isRunning)
        second.interrupt()
        await second.exited()
        #expect(second.terminationStatus == 0)
    }
}
