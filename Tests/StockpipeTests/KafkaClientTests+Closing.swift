import CRdKafka
import Foundation
import StockpipeCore
import Synchronization
import Testing

@testable import StockpipeKafka

/// A CI run hung for good in a consumer's `close()`: librdkafka called the revocation from
/// `rd_kafka_consumer_close`, the revocation made a commit a rebalance had refused earlier, and
/// that commit never returned. Tests of a close that never ends wait from a task of their own,
/// so that they fail instead of hanging the run.
extension KafkaClientTests {
    @Test func aConsumerOwingACommitClosesInTimeWhileItsBrokersDoNotAnswer() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 2)
        defer { cluster.close() }
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<100).map { record("staging", "k\($0 % 4)", "v\($0)") })
        let consumer = try KafkaConsumer(configuration, group: "g", topic: "staging")
        let polled = try await poll(consumer, until: 100, deadline: ContinuousClock.now + .seconds(30))
        try #require(polled.count == 100)
        cluster.refuseNextCommits(1)
        try await consumer.commit(through: polled.last!, state: nil)
        let owed = consumer.tracker.refusedList()
        defer { rd_kafka_topic_partition_list_destroy(owed) }
        try #require(owed.pointee.cnt > 0, "the commit was refused and is owed")

        // Brokers that take 5 minutes to answer: before, this close had not returned after 200 s.
        for broker: Int32 in 1...3 { cluster.setRoundTrip(broker: broker, milliseconds: 300_000) }
        defer { for broker: Int32 in 1...3 { cluster.setRoundTrip(broker: broker, milliseconds: 0) } }
        // It is bounded at 6 s; the wait allows for a busy start of the suite, which can hold the
        // tasks involved for a minute.
        let outcome = Outcome<Bool>()
        Task { outcome.set(await consumer.close(assignmentTimeout: .seconds(1), closeTimeout: .seconds(5))) }
        let result = try await outcome.wait(upTo: .seconds(150))
        #expect(result != nil, "close() had not returned after 150 s")
        await producer.close(timeout: .seconds(1))
    }
}

@Suite("Blocking calls waited for until a deadline")
struct BlockingThreadDeadlineTests {
    @Test func aCallThatOutlastsItsDeadlineIsLeftAndOneThatEndsInTimeAnswers() async throws {
        let thread = BlockingThread(name: "deadline test")
        defer { thread.stop() }
        let started = ContinuousClock.now
        let late = await thread.run(until: .now + .milliseconds(200)) {
            usleep(3_000_000)
            return 1
        }
        #expect(late == nil)
        #expect(ContinuousClock.now - started < .seconds(2), "the wait ended at its deadline, not with the call")
        // The next call runs after the one left behind, on the same thread, and answers.
        let answered = await thread.run(until: .now + .seconds(30)) { 2 }
        #expect(answered == 2)
        #expect(await thread.run(until: .now + .seconds(30)) { 3 } == 3)
    }
}

/// A value set once by another task, waited for with a limit.
final class Outcome<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }

    func wait(upTo limit: Duration) async throws -> Value? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let value = value.withLock({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        return value.withLock { $0 }
    }
}
