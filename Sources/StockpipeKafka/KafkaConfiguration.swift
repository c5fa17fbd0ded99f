import CRdKafka
import StockpipeCore

/// librdkafka properties (`bootstrap.servers`, `acks`, ...) for one client.
///
/// Values may be secrets (`sasl.password`), so errors name the property, never its value.
public struct KafkaConfiguration: Sendable {
    public var properties: [String: String]

    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    public subscript(name: String) -> String? {
        get { properties[name] }
        set { properties[name] = newValue }
    }

    /// A new `rd_kafka_conf_t` holding these properties; the caller owns it.
    func makeConf() throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("librdkafka could not allocate a configuration") }
        rd_kafka_conf_set_log_cb(conf, KafkaLogging.callback)
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = result == RD_KAFKA_CONF_UNKNOWN ? "unknown property" : "invalid value"
                throw KafkaError("Kafka property \(name): \(reason); see librdkafka's CONFIGURATION.md")
            }
        }
        return conf
    }

    /// Why librdkafka refuses `name` set to `value` ("unknown property" or "invalid value"), or nil.
    public static func refusal(of name: String, value: String) -> String? {
        guard let conf = rd_kafka_conf_new() else { return nil }
        defer { rd_kafka_conf_destroy(conf) }
        var errorText = [CChar](repeating: 0, count: 512)
        switch rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) {
        case RD_KAFKA_CONF_OK: return nil
        case RD_KAFKA_CONF_UNKNOWN: return "unknown property"
        default: return "invalid value"
        }
    }

    /// Throws the error a client made with these properties would: an unknown property or an
    /// invalid value, named without its value.
    public func check() throws {
        rd_kafka_conf_destroy(try makeConf())
    }

    /// The properties that apply to a client of `kind`: librdkafka warns about the others.
    func properties(for kind: ClientKind) -> [String: String] {
        let foreign = kind == .producer ? Self.consumerOnly : Self.producerOnly
        return properties.filter { name, _ in !foreign.contains { name == $0 || (name.hasPrefix($0) && $0.hasSuffix(".")) } }
    }

    enum ClientKind { case producer, consumer }

    /// Names (or prefixes, ending in a dot) of properties librdkafka accepts for one kind of client only.
    static let consumerOnly = [
        "group.", "session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy", "max.poll.interval.ms",
        "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store", "auto.offset.reset", "fetch.",
        "queued.", "enable.partition.eof", "check.crcs", "isolation.level", "allow.auto.create.topics", "coordinator.query.interval.ms",
    ]
    static let producerOnly = [
        "acks", "request.required.acks", "enable.idempotence", "linger.ms", "queue.buffering.", "batch.", "compression.",
        "message.timeout.ms", "delivery.timeout.ms", "partitioner", "retries", "message.send.max.retries", "transactional.id",
        "transaction.timeout.ms", "sticky.partitioning.linger.ms", "enable.gapless.guarantee", "request.timeout.ms",
        "max.in.flight", "max.in.flight.requests.per.connection", "retry.backoff.ms",
    ]

    /// The brokers, for messages: `host:port,...`.
    public var brokers: String { properties["bootstrap.servers"] ?? "" }
}
