import CRdKafka
import StockpipeCore

/// One topic as `stockpipe topics create` makes it.
public struct TopicSpec: Sendable, Equatable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int16
    /// Topic configuration: `min.insync.replicas`, `retention.ms`, ...
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }

    /// The pipeline's topics: three copies of every record, two of them needed to accept a write,
    /// data kept 3 days (30 for the quarantine, which people read later).
    public static func pipeline(partitions: Int32 = 6, replicationFactor: Int16 = 3) -> [TopicSpec] {
        let day: Int64 = 86_400_000
        return [(Topic.staging, 3 * day), (Topic.stockData, 3 * day), (Topic.badStockData, 30 * day)].map { name, retention in
            TopicSpec(
                name: name, partitions: partitions, replicationFactor: replicationFactor,
                configs: ["min.insync.replicas": String(min(2, Int(replicationFactor))), "retention.ms": String(retention)])
        }
    }
}

/// The Admin API: creating topics.
public enum KafkaAdmin {
    public enum Outcome: Sendable, Equatable {
        case created
        case alreadyExists
    }

    /// Creates the topics; one that exists already is left as it is (so this can run every time).
    public static func createTopics(
        _ specs: [TopicSpec], configuration: KafkaConfiguration,
        timeout: Duration = .seconds(10)
    ) async throws -> [(String, Outcome)] {
        let handle = try KafkaHandle.make(
            RD_KAFKA_PRODUCER, conf: try KafkaConfiguration(configuration.properties(for: .producer)).makeConf(),
            brokers: configuration.brokers)
        let milliseconds = Int32(clamping: timeout.milliseconds)
        return try await BlockingThread(name: "kafka-admin").runOnce {
            defer { rd_kafka_destroy(handle.pointer) }
            var errorText = [CChar](repeating: 0, count: 512)
            var topics: [OpaquePointer?] = []
            defer { for topic in topics { rd_kafka_NewTopic_destroy(topic) } }
            for spec in specs {
                guard
                    let topic = rd_kafka_NewTopic_new(
                        spec.name, spec.partitions, Int32(spec.replicationFactor),
                        &errorText, errorText.count)
                else {
                    throw KafkaError("topic \(spec.name): \(String(errorBuffer: errorText))")
                }
                topics.append(topic)
                for (name, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                    _ = rd_kafka_NewTopic_set_config(topic, name, value)
                }
            }
            let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errorText, errorText.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errorText, errorText.count)
            let queue = rd_kafka_queue_new(handle.pointer)
            defer { rd_kafka_queue_destroy(queue) }
            topics.withUnsafeMutableBufferPointer { topics in
                rd_kafka_CreateTopics(handle.pointer, topics.baseAddress, topics.count, options, queue)
            }
            guard let event = rd_kafka_queue_poll(queue, milliseconds + 5_000) else {
                throw KafkaError(
                    kind: .unreachable(brokers: configuration.brokers),
                    "the Kafka brokers \(configuration.brokers) did not answer within \(milliseconds / 1000) s")
            }
            defer { rd_kafka_event_destroy(event) }
            let error = rd_kafka_event_error(event)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let result = rd_kafka_event_CreateTopics_result(event) else {
                let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(error))
                throw KafkaError(
                    code: error.rawValue,
                    "cannot create topics on \(configuration.brokers): \(text); the brokers must support the Admin API "
                        + "(librdkafka's mock cluster does not: `stockpipe dev kafka` creates its topics itself)")
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
            return try (0..<count).map { index in
                let topic = results[index]
                let name = String(cString: rd_kafka_topic_result_name(topic))
                let code = rd_kafka_topic_result_error(topic)
                switch code {
                case RD_KAFKA_RESP_ERR_NO_ERROR: return (name, .created)
                case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: return (name, .alreadyExists)
                default:
                    let text = rd_kafka_topic_result_error_string(topic).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(code))
                    throw KafkaError(code: code.rawValue, "cannot create topic \(name): \(text)")
                }
            }
        }
    }
}
