import CRdKafka
import StockpipeCore

/// The log on a Kafka cluster: topics `staging`, `stock_data` and `bad_stock_data`, consumer
/// groups, and source checkpoints kept as commit metadata of one group per source.
///
/// Each record is published once: a stage commits its input only after its outputs are
/// acknowledged by all in-sync replicas, each commit records where those outputs end, and a stage
/// that restarts or takes a partition over reads back what was published after the last commit and
/// does not publish it again (see ``PublishedLedger``). The store's writes are idempotent too
/// (trades by identity, quarantine by origin).
public final class KafkaLog: Log {
    public let configuration: KafkaConfiguration
    let producer: KafkaProducer
    /// Sources whose checkpoints `status` reports, besides any the brokers list.
    let knownSources: [String]

    /// Connects and checks that the brokers answer and the topics exist, within `timeout`.
    public init(_ configuration: KafkaConfiguration, knownSources: [String] = [], timeout: Duration = .seconds(8)) async throws {
        guard !configuration.brokers.isEmpty else { throw KafkaError(kind: .noBrokers, "no Kafka brokers given") }
        self.configuration = configuration
        self.knownSources = knownSources
        producer = try KafkaProducer(configuration)
        do {
            let metadata = try await KafkaLog.metadata(producer.handle, brokers: configuration.brokers, timeout: timeout)
            let missing = Topic.all.filter { metadata.topic($0) == nil }
            if !missing.isEmpty {
                throw KafkaError(
                    kind: .missingTopics(missing, brokers: configuration.brokers),
                    "topics \(missing.joined(separator: ", ")) do not exist on \(configuration.brokers)")
            }
            let counts = Set(Topic.all.compactMap { metadata.topic($0)?.partitions.count })
            producer.keepsInputPartitions = counts.count == 1
            if counts.count > 1 {
                KafkaLogging.logger.warning(
                    "the topics \(Topic.all.joined(separator: ", ")) have different partition counts (\(Topic.all.map { String(metadata.topic($0)?.partitions.count ?? 0) }.joined(separator: ", "))): a validate stage restarted after a crash may publish some records again; give them equal counts (`stockpipe topics create` does)"
                )
            }
        } catch {
            await producer.close(timeout: .zero)
            throw error
        }
    }

    static func metadata(_ handle: KafkaHandle, brokers: String, timeout: Duration) async throws -> KafkaMetadata {
        let milliseconds = Int32(clamping: timeout.milliseconds)
        return try await BlockingThread(name: "kafka-metadata").runOnce {
            try KafkaMetadata.fetch(handle, timeoutMilliseconds: milliseconds, brokers: brokers)
        }
    }

    /// The cluster's brokers, topics, partitions, leaders and replicas.
    public func describe(timeout: Duration = .seconds(8)) async throws -> KafkaMetadata {
        try await Self.metadata(producer.handle, brokers: configuration.brokers, timeout: timeout)
    }

    /// The producer's `message.max.bytes` (librdkafka's default: 1,000,000) less room for the key,
    /// headers and framing. Brokers' own limit (`message.max.bytes`, 1 MiB by default) is similar.
    public var maxRecordBytes: Int {
        (configuration["message.max.bytes"].flatMap { Int($0) } ?? 1_000_000) - 8_192
    }

    public func consumer(group: String, topic: String) async throws -> any LogConsumer {
        try await consumer(group: group, topic: topic, draining: false)
    }

    /// A drain reads alone while its group is empty: see ``KafkaConsumer/claimAlone(_:tracker:group:brokers:)``.
    public func consumer(group: String, topic: String, draining: Bool) async throws -> any LogConsumer {
        // Validation publishes each staged record to one of its outputs, on the same partition number.
        let outputs = topic == Topic.staging && producer.keepsInputPartitions ? [Topic.stockData, Topic.badStockData] : []
        let consumer = try KafkaConsumer(configuration, group: group, topic: topic, outputs: outputs, draining: draining)
        return KafkaLogConsumer(consumer: consumer, producer: producer)
    }

    public func source(name: String) async throws -> any SourceSession {
        try await source(name: name, replayable: false)
    }

    public func source(name: String, replayable: Bool) async throws -> any SourceSession {
        try await KafkaSourceSession.open(name: name, replayable: replayable, configuration: configuration, producer: producer)
    }

    public func hold(_ name: String) async throws -> any LogHold {
        try await KafkaHold.take(name, configuration: configuration)
    }

    public func status() async throws -> LogStatus {
        let metadata = try await describe()
        var topics: [LogStatus.TopicStatus] = []
        var watermarks: [String: [Int32: (low: Int64, high: Int64)]] = [:]
        for name in Topic.all {
            guard let topic = metadata.topic(name) else { continue }
            let marks = try await BlockingThread(name: "kafka-status").runOnce { [handle = producer.handle] in
                try topic.partitions.map { ($0.id, try KafkaOffsets.watermarks(handle, topic: name, partition: $0.id, timeoutMilliseconds: 8_000)) }
            }
            watermarks[name] = Dictionary(uniqueKeysWithValues: marks)
            topics.append(
                .init(
                    name: name, appended: marks.reduce(0) { $0 + $1.1.high },
                    retained: marks.reduce(0) { $0 + $1.1.high - $1.1.low }))
        }
        var groups: [LogStatus.GroupStatus] = []
        for (group, topic) in ConsumerGroup.all {
            guard let marks = watermarks[topic] else { continue }
            let committed = try await GroupOffsets.committed(configuration, group: group, topic: topic, partitions: Int32(marks.count))
            var position: Int64 = 0
            var lag: Int64 = 0
            for (partition, mark) in marks {
                let offset = max(committed[partition]?.offset ?? mark.low, mark.low)
                position += offset
                lag += max(0, mark.high - offset)
            }
            groups.append(.init(group: group, topic: topic, position: position, lag: lag))
        }
        var sources: [LogStatus.SourceStatus] = []
        let listed =
            (try? await BlockingThread(name: "kafka-groups").runOnce { [handle = producer.handle] in
                KafkaLog.groups(handle, prefix: KafkaSourceSession.group(""))
            }) ?? []
        let registered = (try? await SourceRegistry.names(configuration: configuration)) ?? []
        for name in Set(knownSources + listed + registered).sorted() {
            if let checkpoint = try await KafkaSourceSession.checkpoint(name: name, configuration: configuration) {
                sources.append(.init(name: name, checkpoint: checkpoint))
            }
        }
        return LogStatus(topics: topics, groups: groups, sources: sources)
    }

    /// Groups the brokers know whose names start with `prefix`, without it. Blocking.
    static func groups(_ handle: KafkaHandle, prefix: String) -> [String] {
        var list: UnsafePointer<rd_kafka_group_list>?
        guard rd_kafka_list_groups(handle.pointer, nil, &list, 5_000) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_group_list_destroy(list) }
        return UnsafeBufferPointer(start: list.pointee.groups, count: Int(list.pointee.group_cnt)).compactMap { info in
            let name = String(cString: info.group)
            return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
        }
    }

    /// The brokers apply each topic's `retention.ms`; nothing to do here.
    public func enforceRetention(now: Int64) async throws -> Int { 0 }

    public func close() async throws {
        await producer.close()
    }
}
