import CRdKafka
import Foundation
import StockpipeCore
import Synchronization

/// An idempotent producer (`enable.idempotence=true`, so `acks=all` and ordered, deduplicated
/// retries) that sends batches of records and reports when every one of them is acknowledged.
///
/// ```swift
/// let producer = try KafkaProducer(configuration)
/// try await producer.send(records)   // returns once all are durable on the in-sync replicas
/// ```
public final class KafkaProducer: Sendable {
    let handle: KafkaHandle
    let brokers: String
    private let topics: Mutex<[String: KafkaHandle]> = Mutex([:])
    private let running = SharedFlag()
    private let poller: BlockingThread
    private let inputPartitionsKept = SharedFlag(false)

    /// Whether a record's ``OutgoingRecord/inputPartition`` is its partition: only when every
    /// topic has the same number of partitions (see ``KafkaLog``); else the key decides.
    var keepsInputPartitions: Bool {
        get { inputPartitionsKept.value.load(ordering: .relaxed) }
        set { inputPartitionsKept.value.store(newValue, ordering: .relaxed) }
    }

    /// Settings that make delivery safe and fast, under those the user passes through.
    public static let defaults: [String: String] = [
        "enable.idempotence": "true",
        "acks": "all",
        "compression.type": "lz4",
        "linger.ms": "5",
        "batch.num.messages": "10000",
        "queue.buffering.max.messages": "1000000",
        "queue.buffering.max.kbytes": "1048576",
        // Java clients partition by murmur2 of the key; doing the same keeps a symbol on one
        // partition whichever client produced it.
        "partitioner": "murmur2_random",
    ]

    public init(_ configuration: KafkaConfiguration) throws {
        var properties = Self.defaults
        properties.merge(configuration.properties(for: .producer)) { _, given in given }
        let conf = try KafkaConfiguration(properties).makeConf()
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            Unmanaged<DeliveryBatch>.fromOpaque(opaque).takeUnretainedValue().delivered(message)
        }
        brokers = configuration.brokers
        handle = try KafkaHandle.make(RD_KAFKA_PRODUCER, conf: conf, brokers: brokers)
        poller = BlockingThread(name: "kafka-produce")
        poller.enqueue { [handle, running] in
            // Serves delivery reports until closed.
            while running.value.load(ordering: .relaxed) { rd_kafka_poll(handle.pointer, 100) }
        }
    }

    /// Sends `records` and returns when all are acknowledged; throws the first delivery failure.
    public func send(_ records: [OutgoingRecord]) async throws {
        try await enqueue(records).wait()
    }

    /// Hands `records` to librdkafka, in order, and returns what reports their delivery. It waits
    /// only while librdkafka's queue is full.
    public func enqueue(_ records: [OutgoingRecord]) async -> DeliveryBatch {
        let batch = DeliveryBatch(count: records.count)
        guard !records.isEmpty else { return batch }
        // The reports hold the batch until the last one arrives (see DeliveryBatch.finish).
        let opaque = batch.retainForReports()
        var scratch: [UInt8] = []
        scratch.reserveCapacity(256)
        for (index, record) in records.enumerated() {
            let topic: KafkaHandle
            do { topic = try topicHandle(record.topic) } catch {
                batch.abandon(records.count - index, error as? KafkaError ?? KafkaError("\(error)"))
                break
            }
            var sent = false
            while !sent {
                guard let error = produce(record, topic: topic, opaque: opaque, scratch: &scratch) else {
                    sent = true
                    continue
                }
                if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                    rd_kafka_error_destroy(error)
                    // The poller drains the queue as the brokers acknowledge; wait for room. A
                    // cancelled task gives up instead: its sleep would return at once and spin.
                    do {
                        try await Task.sleep(for: .milliseconds(1))
                    } catch {
                        batch.abandon(records.count - index, KafkaError(kind: .stopping, "cannot send to \(record.topic): the stage is stopping"))
                        break
                    }
                    continue
                }
                batch.abandon(records.count - index, KafkaError(taking: error, context: "cannot send to \(record.topic)"))
                break
            }
            if !sent { break }
        }
        return batch
    }

    private func topicHandle(_ name: String) throws -> KafkaHandle {
        try topics.withLock { topics in
            if let topic = topics[name] { return topic }
            guard let pointer = rd_kafka_topic_new(handle.pointer, name, nil) else {
                throw KafkaError(rd_kafka_last_error(), context: "cannot open topic \(name)")
            }
            topics[name] = KafkaHandle(pointer)
            return KafkaHandle(pointer)
        }
    }

    /// Waits (up to `timeout`) for what is still in flight, then releases the client.
    public func close(timeout: Duration = .seconds(10)) async {
        let milliseconds = Int32(clamping: timeout.milliseconds)
        running.value.store(false, ordering: .relaxed)
        let topics = topics.withLock { topics in
            defer { topics.removeAll() }
            return Array(topics.values)
        }
        // On the poller's own thread, so that this runs after its loop has ended: nothing may
        // still be inside librdkafka when the handle goes.
        _ = try? await poller.run { [handle] in
            rd_kafka_flush(handle.pointer, milliseconds)
            for topic in topics { rd_kafka_topic_destroy(topic.pointer) }
            rd_kafka_destroy(handle.pointer)
        }
        poller.stop()
    }
}
