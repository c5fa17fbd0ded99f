import CRdKafka
import Foundation
import StockpipeModel
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
            Unmanaged<DeliveryBatch>.fromOpaque(opaque).takeUnretainedValue().delivered(message.pointee.err)
        }
        brokers = configuration.brokers
        handle = try KafkaHandle.make(RD_KAFKA_PRODUCER, conf: conf, brokers: brokers)
        poller = BlockingThread(name: "kafka-producer-poll")
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
                    // The poller drains the queue as the brokers acknowledge; wait for room.
                    try? await Task.sleep(for: .milliseconds(1))
                    continue
                }
                batch.abandon(records.count - index, KafkaError(taking: error, context: "cannot send to \(record.topic)"))
                break
            }
            if !sent { break }
        }
        return batch
    }

    private func produce(_ record: OutgoingRecord, topic: KafkaHandle, opaque: UnsafeMutableRawPointer,
                         scratch: inout [UInt8]) -> OpaquePointer? {
        // Key and headers go into one scratch buffer: header names need terminating zeros.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: record.key.utf8)
        let keyLength = scratch.count
        var headerOffsets: [(name: Int, value: Int, length: Int)] = []
        headerOffsets.reserveCapacity(record.headers.count)
        for header in record.headers {
            let name = scratch.count
            scratch.append(contentsOf: header.name.utf8)
            scratch.append(0)
            let value = scratch.count
            scratch.append(contentsOf: header.value.utf8)
            headerOffsets.append((name, value, scratch.count - value))
        }
        return scratch.withUnsafeMutableBytes { scratch in
            record.value.withUnsafeBytes { value in
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6 + headerOffsets.count) { fields in
                    let base = scratch.baseAddress!
                    var count = 0
                    func add(_ configure: (inout rd_kafka_vu_t) -> Void) {
                        var field = rd_kafka_vu_t()
                        configure(&field)
                        fields[count] = field
                        count += 1
                    }
                    add { $0.vtype = RD_KAFKA_VTYPE_RKT; $0.u.rkt = topic.pointer }
                    if keyLength > 0 {
                        add { $0.vtype = RD_KAFKA_VTYPE_KEY; $0.u.mem.ptr = base; $0.u.mem.size = keyLength }
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_VALUE
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        $0.u.mem.size = value.count
                    }
                    add { $0.vtype = RD_KAFKA_VTYPE_MSGFLAGS; $0.u.i = RD_KAFKA_MSG_F_COPY }
                    add { $0.vtype = RD_KAFKA_VTYPE_TIMESTAMP; $0.u.i64 = record.timestamp }
                    add { $0.vtype = RD_KAFKA_VTYPE_OPAQUE; $0.u.ptr = opaque }
                    for offsets in headerOffsets {
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_HEADER
                            $0.u.header.name = UnsafePointer(base.advanced(by: offsets.name).assumingMemoryBound(to: CChar.self))
                            $0.u.header.val = UnsafeRawPointer(base.advanced(by: offsets.value))
                            $0.u.header.size = offsets.length
                        }
                    }
                    return rd_kafka_produceva(handle.pointer, fields.baseAddress, count)
                }
            }
        }
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
        let milliseconds = Int32(timeout.components.seconds * 1000)
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

/// Counts down the delivery reports of one batch and wakes its sender when the last arrives.
public final class DeliveryBatch: Sendable {
    private struct State {
        var remaining: Int
        var error: KafkaError?
        var waiter: CheckedContinuation<Void, any Error>?
        /// The reference the delivery reports hold, let go with the last of them.
        var retained: Unmanaged<DeliveryBatch>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(remaining: count))
    }

    /// The opaque pointer for librdkafka: a reference kept until the last report.
    func retainForReports() -> UnsafeMutableRawPointer {
        let retained = Unmanaged.passRetained(self)
        state.withLock { $0.retained = retained }
        return retained.toOpaque()
    }

    /// Called on the poller thread for each record.
    func delivered(_ error: rd_kafka_resp_err_t) {
        let failure = error == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(error, context: "a record was not delivered")
        finish(count: 1, failure)
    }

    /// Records that were never handed to librdkafka: they will have no report.
    func abandon(_ count: Int, _ error: KafkaError) {
        finish(count: count, error)
    }

    private func finish(count: Int, _ error: KafkaError?) {
        let (resume, release) = state.withLock { state -> ((CheckedContinuation<Void, any Error>, KafkaError?)?, Unmanaged<DeliveryBatch>?) in
            state.remaining -= count
            if state.error == nil { state.error = error }
            guard state.remaining == 0 else { return (nil, nil) }
            defer { state.retained = nil; state.waiter = nil }
            return (state.waiter.map { ($0, state.error) }, state.retained)
        }
        if let (waiter, error) = resume {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
        release?.release()
    }

    /// Returns when every record is acknowledged; throws the first failure.
    public func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { state -> KafkaError?? in
                if state.remaining == 0 { return .some(state.error) }
                state.waiter = continuation
                return .none
            }
            if let done {
                if let error = done { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }
}

/// A flag shared with a thread's loop by reference, so that the loop need not hold its owner.
final class SharedFlag: Sendable {
    let value: Atomic<Bool>

    init(_ value: Bool = true) {
        self.value = Atomic(value)
    }
}
