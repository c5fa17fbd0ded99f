import CRdKafka
import StockpipeCore
import Synchronization

/// Counts down the delivery reports of one batch and wakes its sender when the last arrives.
public final class DeliveryBatch: Sendable {
    private struct State {
        var remaining: Int
        var error: KafkaError?
        var waiter: CheckedContinuation<Void, any Error>?
        /// The reference the delivery reports hold, let go with the last of them.
        var retained: Unmanaged<DeliveryBatch>?
        /// The offset after the last record delivered, by topic handle (its address) and partition.
        var ends: [Int: [Int32: Int64]] = [:]
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
    func delivered(_ message: UnsafePointer<rd_kafka_message_t>) {
        let error = message.pointee.err
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            finish(count: 1, KafkaError(error, context: "a record was not delivered"))
            return
        }
        if let handle = message.pointee.rkt {
            let (topic, partition, end) = (Int(bitPattern: handle), message.pointee.partition, message.pointee.offset + 1)
            state.withLock { state in
                if (state.ends[topic]?[partition] ?? -1) < end { state.ends[topic, default: [:]][partition] = end }
            }
        }
        finish(count: 1, nil)
    }

    /// Once every record is delivered: the offset after the last one, by topic and partition.
    func ends() -> [TopicPartition: Int64] {
        let ends = state.withLock(\.ends)
        var result: [TopicPartition: Int64] = [:]
        for (topic, partitions) in ends {
            guard let handle = OpaquePointer(bitPattern: topic) else { continue }
            // The producer keeps its topic handles until it closes, after every delivery.
            let name = String(cString: rd_kafka_topic_name(handle))
            for (partition, end) in partitions { result[TopicPartition(name, partition)] = end }
        }
        return result
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

/// One partition of one topic.
struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    var topic: String
    var partition: Int32

    init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    var description: String { "\(topic)/\(partition)" }

    /// Parses `topic/partition`.
    init?(_ text: Substring) {
        guard let slash = text.lastIndex(of: "/"), let partition = Int32(text[text.index(after: slash)...]) else { return nil }
        self.init(String(text[..<slash]), partition)
    }
}
