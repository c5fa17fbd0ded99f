import CRdKafka
import StockpipeCore

/// Topics, partitions, leaders and replicas as the brokers report them.
public struct KafkaMetadata: Sendable {
    public struct Broker: Sendable {
        public var id: Int32
        public var host: String
        public var port: Int32
    }

    public struct Partition: Sendable {
        public var id: Int32
        public var leader: Int32
        public var replicas: [Int32]
        public var inSyncReplicas: [Int32]
    }

    public struct Topic: Sendable {
        public var name: String
        public var partitions: [Partition]
        /// Set when the brokers answered with an error for this topic (for example: it does not exist).
        public var error: String?
    }

    public var brokers: [Broker]
    public var topics: [Topic]

    /// Asks the cluster; blocking, so call it on a ``BlockingThread``.
    static func fetch(_ handle: KafkaHandle, timeoutMilliseconds: Int32, brokers: String) throws -> KafkaMetadata {
        var pointer: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle.pointer, 1, nil, &pointer, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata = pointer?.pointee else {
            throw KafkaError(
                kind: .unreachable(brokers: brokers), code: error.rawValue,
                "cannot reach the Kafka brokers \(brokers) (\(String(cString: rd_kafka_err2str(error))))")
        }
        defer { rd_kafka_metadata_destroy(pointer) }
        let brokerList = UnsafeBufferPointer(start: metadata.brokers, count: Int(metadata.broker_cnt)).map {
            Broker(id: $0.id, host: String(cString: $0.host), port: $0.port)
        }
        let topics = UnsafeBufferPointer(start: metadata.topics, count: Int(metadata.topic_cnt)).map { topic in
            Topic(
                name: String(cString: topic.topic),
                partitions: UnsafeBufferPointer(start: topic.partitions, count: Int(topic.partition_cnt)).map {
                    Partition(
                        id: $0.id, leader: $0.leader,
                        replicas: Array(UnsafeBufferPointer(start: $0.replicas, count: Int($0.replica_cnt))),
                        inSyncReplicas: Array(UnsafeBufferPointer(start: $0.isrs, count: Int($0.isr_cnt))))
                }.sorted { $0.id < $1.id },
                error: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2str(topic.err)))
        }
        return KafkaMetadata(brokers: brokerList, topics: topics.sorted { $0.name < $1.name })
    }

    public func topic(_ name: String) -> Topic? {
        topics.first { $0.name == name && $0.error == nil && !$0.partitions.isEmpty }
    }

    static func partitionCount(_ handle: KafkaHandle, topic: String, timeoutMilliseconds: Int32, brokers: String) throws -> Int32 {
        let metadata = try fetch(handle, timeoutMilliseconds: timeoutMilliseconds, brokers: brokers)
        guard let found = metadata.topic(topic) else {
            throw KafkaError("topic \(topic) does not exist; create it with `stockpipe topics create`")
        }
        return Int32(found.partitions.count)
    }
}
