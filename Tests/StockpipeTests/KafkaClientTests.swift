import Foundation
@testable import StockpipeKafka
import StockpipeModel
import Testing

@Suite("Kafka client on the mock cluster", .serialized)
struct KafkaClientTests {
    func record(_ topic: String, _ key: String, _ value: String) -> OutgoingRecord {
        OutgoingRecord(topic: topic, key: key, value: Array(value.utf8),
                       headers: [RecordHeader("source", "test:\(value)"), RecordHeader("kind", "trade")], timestamp: 1_700_000_000_000)
    }

    @Test func producedRecordsComeBackWithKeysHeadersAndCommittedState() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        defer { cluster.close() }
        try cluster.createTopic("staging", partitions: 4, replicationFactor: 3)
        let configuration = KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "session.timeout.ms": "6000"])
        let producer = try KafkaProducer(configuration)
        let symbols = ["AAPL", "MSFT", "BRK.B", "BINANCE:BTCUSDT"]
        try await producer.send((0..<1000).map { record("staging", symbols[$0 % 4], "v\($0)") })

        let consumer = try KafkaConsumer(configuration, group: "g", topic: "staging")
        var seen: [ConsumedRecord] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while seen.count < 1000 && ContinuousClock.now < deadline {
            seen += try await consumer.poll(maxRecords: 500, timeout: .milliseconds(200))
        }
        #expect(seen.count == 1000)
        #expect(Set(seen.map { String(decoding: $0.value, as: UTF8.self) }).count == 1000)
        let first = try #require(seen.first)
        #expect(first.headers[header: "kind"] == "trade")
        #expect(first.headers[header: "source"] == "test:" + String(decoding: first.value, as: UTF8.self))
        #expect(first.timestamp == 1_700_000_000_000)
        // One symbol lives on one partition.
        for symbol in symbols { #expect(Set(seen.filter { $0.key == symbol }.map(\.partition)).count == 1) }
        try await consumer.commit(through: seen.last!, state: Dictionary(uniqueKeysWithValues: symbols.map { ($0, "state of \($0)") }))
        #expect(try await consumer.lag() == 0)
        await consumer.close()

        // A new member of the group resumes after the commit, with each key's state.
        try await producer.send([record("staging", "AAPL", "after")])
        let resumed = try KafkaConsumer(configuration, group: "g", topic: "staging")
        var more: [ConsumedRecord] = []
        while more.isEmpty && ContinuousClock.now < deadline + .seconds(30) {
            more += try await resumed.poll(maxRecords: 10, timeout: .milliseconds(200))
        }
        #expect(more.map { String(decoding: $0.value, as: UTF8.self) } == ["after"])
        let state = resumed.takeResumedState()
        #expect(state == Dictionary(uniqueKeysWithValues: symbols.map { ($0, "state of \($0)") }))
        await resumed.close()
        await producer.close()
    }

    @Test func aPausedConsumerKeepsItsPartitionsPastTheMaxPollInterval() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        defer { cluster.close() }
        try cluster.createTopic("staging", partitions: 2, replicationFactor: 3)
        let configuration = KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "session.timeout.ms": "6000",
                                                "max.poll.interval.ms": "7000"])
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<100).map { record("staging", "K\($0 % 5)", "a\($0)") })
        let consumer = try KafkaConsumer(configuration, group: "paused", topic: "staging")
        var seen: [ConsumedRecord] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while seen.isEmpty && ContinuousClock.now < deadline {
            seen += try await consumer.poll(maxRecords: 10, timeout: .milliseconds(200))
        }
        await consumer.pause()
        try await producer.send((0..<100).map { record("staging", "K\($0 % 5)", "b\($0)") })
        try await Task.sleep(for: .seconds(9))  // longer than max.poll.interval.ms without a poll from the stage
        await consumer.resume()
        while seen.count < 200 && ContinuousClock.now < deadline + .seconds(30) {
            seen += try await consumer.poll(maxRecords: 50, timeout: .milliseconds(200))
        }
        #expect(seen.count == 200)
        #expect(Set(seen.map { String(decoding: $0.value, as: UTF8.self) }).count == 200)
        #expect(consumer.tracker.revokedPartitions == 0, "the consumer lost its partitions while paused")
        await consumer.close()
        await producer.close()
    }
}
