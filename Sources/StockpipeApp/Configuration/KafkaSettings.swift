import StockpipeCore
import StockpipeKafka

/// The Kafka log's settings: `brokers` and the librdkafka properties passed through (`kafka.<property>`).
///
/// ```yaml
/// log: kafka
/// brokers: kafka-1:9092,kafka-2:9092
/// kafka:
///   linger.ms: 10
/// ```
public struct KafkaSettings: BackendSettings {
    /// Kafka bootstrap servers, `host:port,...`.
    public var brokers: String?
    /// librdkafka properties passed through (`kafka:` in the file, `--kafka-property` on the command line).
    public var properties: [String: String] = [:]

    public init() {}

    public static let keys = ["brokers", "kafka.<property>"]

    public mutating func apply(key: String, value: SettingValue) throws -> Bool {
        if key == "brokers" {
            brokers = try value.nonEmpty("Kafka bootstrap servers, like kafka-1:9092,kafka-2:9092")
        } else if key.hasPrefix("kafka."), key.count > "kafka.".count {
            properties[String(key.dropFirst("kafka.".count))] = value.text
        } else {
            return false
        }
        return true
    }

    public func validate() throws {
        if brokers?.isEmpty ?? true {
            throw UserError("--log kafka needs --brokers host:port,... (the Kafka bootstrap servers)")
        }
    }

    public func summary(dataDirectory: String) -> String {
        "Kafka at \(brokers ?? "")"
    }

    /// The librdkafka properties: the brokers, then whatever was passed through.
    public var configuration: KafkaConfiguration {
        var configuration = properties
        configuration["bootstrap.servers"] = brokers ?? ""
        return KafkaConfiguration(configuration)
    }
}
