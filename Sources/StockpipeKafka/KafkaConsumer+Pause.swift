import CRdKafka
import StockpipeCore
import Synchronization

extension KafkaConsumer {
    /// Pauses fetching from every assigned partition and keeps polling (which serves the group
    /// protocol) until ``resume()``. Records that were already on their way are held for `poll`.
    public func pause() async {
        guard !paused.value.exchange(true, ordering: .relaxed) else { return }
        _ = try? await pollThread.run { [handle] in
            var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard rd_kafka_assignment(handle.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { return }
            defer { rd_kafka_topic_partition_list_destroy(assignment) }
            _ = rd_kafka_pause_partitions(handle.pointer, assignment)
        }
        pollThread.enqueue { [handle, tracker, topic, paused] in
            while paused.value.load(ordering: .relaxed) {
                guard let message = rd_kafka_consumer_poll(handle.pointer, 100) else { continue }
                defer { rd_kafka_message_destroy(message) }
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { tracker.hold(Self.record(message, topic: topic)) }
            }
        }
    }

    public func resume() async {
        guard paused.value.exchange(false, ordering: .relaxed) else { return }
        _ = try? await pollThread.run { [handle] in
            var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard rd_kafka_assignment(handle.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { return }
            defer { rd_kafka_topic_partition_list_destroy(assignment) }
            _ = rd_kafka_resume_partitions(handle.pointer, assignment)
        }
    }
}
