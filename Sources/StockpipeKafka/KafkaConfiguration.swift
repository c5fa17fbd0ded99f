import CRdKafka

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

    /// The brokers, for messages: `host:port,...`.
    public var brokers: String { properties["bootstrap.servers"] ?? "" }
}
