import CRdKafka
import Glibc
import StockpipeCore

/// Offsets: watermarks of partitions and positions committed by groups. Blocking calls.
enum KafkaOffsets {
    /// How long a group's positions are waited for. Its coordinator is away while its broker
    /// restarts, and librdkafka tries a broker that refused it again only after a backoff that
    /// grows to 10 s: with 8 s, an ingest that started while a broker was down for 3 s failed.
    static let groupTimeoutMilliseconds: Int32 = 30_000

    static func watermarks(
        _ handle: KafkaHandle, topic: String, partition: Int32,
        timeoutMilliseconds: Int32
    ) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = askingAgainWhileTransient(timeoutMilliseconds) { remaining in
            rd_kafka_query_watermark_offsets(handle.pointer, topic, partition, &low, &high, remaining)
        }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: "cannot read the offsets of \(topic) partition \(partition)")
        }
        return (low, high)
    }

    /// Leaders move and coordinators change while a broker is down or back: an answer saying so is
    /// asked for again, every 100 ms, until `timeoutMilliseconds` is spent. (Runs on a thread of
    /// its own, like every call here, so it may sleep.)
    static func askingAgainWhileTransient(_ timeoutMilliseconds: Int32, _ call: (Int32) -> rd_kafka_resp_err_t) -> rd_kafka_resp_err_t {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds))
        while true {
            let remaining = deadline - ContinuousClock.now
            let error = call(Int32(clamping: max(1, remaining.milliseconds)))
            guard KafkaError.isTransient(error), ContinuousClock.now + .milliseconds(100) < deadline else { return error }
            usleep(100_000)
        }
    }

    /// Commits `metadata` for the handle's group on one partition, at offset 0: such groups never
    /// consume, the metadata is what they keep (a source's checkpoint, the list of sources).
    static func commitMetadata(_ handle: KafkaHandle, _ metadata: [UInt8], topic: String, partition: Int32, group: String) throws {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let element = rd_kafka_topic_partition_list_add(list, topic, partition)!
        element.pointee.offset = 0
        ConsumerTracker.attach(metadata, to: element)
        let error = rd_kafka_commit(handle.pointer, list, 0)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: "cannot commit to group \(group)")
        }
    }

    /// The offsets (and metadata) committed by the handle's own group.
    static func committed(
        _ handle: KafkaHandle, topic: String, partitions: Int32, group: String,
        timeoutMilliseconds: Int32
    ) throws -> [Int32: (offset: Int64, metadata: [UInt8])] {
        let list = rd_kafka_topic_partition_list_new(partitions)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<partitions { rd_kafka_topic_partition_list_add(list, topic, partition) }
        let error = askingAgainWhileTransient(timeoutMilliseconds) { remaining in
            rd_kafka_committed(handle.pointer, list, remaining)
        }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: "cannot read the positions of group \(group) on \(topic)")
        }
        var result: [Int32: (Int64, [UInt8])] = [:]
        for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
            let metadata = element.metadata.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: element.metadata_size)) } ?? []
            result[element.partition] = (element.offset, metadata)
        }
        return result
    }
}

/// Positions committed by any group, read through a short-lived client of that group.
enum GroupOffsets {
    static func committed(
        _ configuration: KafkaConfiguration, group: String, topic: String,
        partitions: Int32
    ) async throws -> [Int32: (offset: Int64, metadata: [UInt8])] {
        let handle = try GroupOffsets.client(configuration, group: group)
        return try await BlockingThread(name: "kafka-offsets").runOnce {
            defer { rd_kafka_destroy(handle.pointer) }
            return try KafkaOffsets.committed(
                handle, topic: topic, partitions: partitions, group: group,
                timeoutMilliseconds: KafkaOffsets.groupTimeoutMilliseconds)
        }
    }

    /// A consumer client of `group` that never joins it: for reading and committing positions.
    static func client(_ configuration: KafkaConfiguration, group: String, overriding: [String: String] = [:]) throws -> KafkaHandle {
        var properties = KafkaConsumer.defaults
        properties.merge(configuration.properties(for: .consumer)) { _, given in given }
        properties.merge(overriding) { _, forced in forced }
        properties["group.id"] = group
        return try KafkaHandle.make(
            RD_KAFKA_CONSUMER, conf: try KafkaConfiguration(properties).makeConf(),
            brokers: configuration.brokers)
    }
}
