import Foundation
import StockpipeCore
import StockpipeKafka

/// The Kafka log's settings: `brokers` and the librdkafka properties passed through (`kafka.<property>`,
/// and `kafka-properties-file`, a `name=value` file as kcat's `-F` reads, for the ones that are
/// secrets: a Kubernetes Secret mounted as a file).
///
/// ```yaml
/// log: kafka
/// brokers: kafka-1:9092,kafka-2:9092
/// kafka-properties-file: /etc/stockpipe/kafka/client.properties   # sasl.password=... and the like
/// kafka:
///   linger.ms: 10
/// ```
public struct KafkaSettings: BackendSettings {
    /// Kafka bootstrap servers, `host:port,...`.
    public var brokers: String?
    /// librdkafka properties passed through (`kafka:` in the file, `--kafka-property` on the command line).
    public var properties: [String: String] = [:]
    /// Properties read from `kafka-properties-file`; those in `properties` win.
    public var fileProperties: [String: String] = [:]

    public init() {}

    public static let keys = ["brokers", "kafka-properties-file", "kafka.<property>"]

    public mutating func apply(key: String, value: SettingValue) throws -> Bool {
        if key == "brokers" {
            brokers = try value.nonEmpty("Kafka bootstrap servers, like kafka-1:9092,kafka-2:9092")
        } else if key == "kafka-properties-file" {
            let path = try value.nonEmpty("a file of librdkafka properties, one name=value per line")
            fileProperties = try Self.readProperties(path, origin: value.subject)
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
        // A property librdkafka refuses is a mistake in the settings, like any other (exit 2).
        do { try configuration.check() } catch let error as KafkaError { throw UserError(error.description) }
    }

    public func summary(dataDirectory: String) -> String {
        "Kafka at \(brokers ?? "")"
    }

    /// The librdkafka properties: the brokers, then whatever was passed through.
    public var configuration: KafkaConfiguration {
        var configuration = fileProperties.merging(properties) { _, given in given }
        configuration["bootstrap.servers"] = brokers ?? ""
        return KafkaConfiguration(configuration)
    }
}

extension KafkaSettings {
    /// The largest properties file read: a client's properties are a few hundred bytes.
    static let largestPropertiesFile = 64 * 1024

    /// Reads `name=value` lines (`#` and `!` start comments, blank lines are skipped, spaces around
    /// the name and before the value are dropped). Errors name the file and the line, never a
    /// value: the file holds passwords.
    static func readProperties(_ path: String, origin: String) throws -> [String: String] {
        // Read through the descriptor, at most one byte past the limit: a Kubernetes Secret is a
        // symbolic link, whose own size says nothing of the file's.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw UserError("cannot read the Kafka properties file \(path) (\(origin)); check the path and that stockpipe may read it")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: largestPropertiesFile + 1) ?? Data()
        } catch {
            throw UserError("cannot read the Kafka properties file \(path) (\(origin)); check the path and that stockpipe may read it")
        }
        guard data.count <= largestPropertiesFile else {
            throw UserError("the Kafka properties file \(path) (\(origin)) is over 64 KiB; a Kafka properties file must be at most 64 KiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UserError("the Kafka properties file \(path) is not UTF-8 text")
        }
        var properties: [String: String] = [:]
        // By Character: "\r\n" is one, which splitting on "\n" would not cut.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.allSatisfy({ $0 == " " || $0 == "\t" }) || trimmed.hasPrefix("#") || trimmed.hasPrefix("!") { continue }
            // Errors name the line, never its text: a line that is not name=value may be a secret.
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw UserError("line \(index + 1) of the Kafka properties file \(path) is not name=value")
            }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ Self.nameCharacters.contains($0) }) else {
                throw UserError(
                    "line \(index + 1) of the Kafka properties file \(path) does not start with a property name (letters, digits, '.', '_' or '-') and '='"
                )
            }
            // Spaces after '=' go, as in Java's properties files; those at the end are the value's.
            let value = String(trimmed[trimmed.index(after: equals)...].drop { $0 == " " || $0 == "\t" })
            // Checked here, so that the error names the line: a line that is a secret with '='
            // padding reads as a name, which an error about that name would print.
            if let refusal = KafkaConfiguration.refusal(of: name, value: value) {
                throw UserError(
                    "line \(index + 1) of the Kafka properties file \(path): \(refusal == "unknown property" ? "not a librdkafka property" : "librdkafka refuses its value"); see librdkafka's CONFIGURATION.md"
                )
            }
            properties[name] = value
        }
        return properties
    }

    static let nameCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
}
