import CRdKafka
import StockpipeCore

/// A source's checkpoint on Kafka: the commit metadata of group `stockpipe-source:NAME` on
/// partition 0 of `staging` (`"POSITION\nSTATE"`). The group never consumes; committing through
/// it after the records are acknowledged keeps the checkpoint behind what was published.
final class KafkaSourceSession: SourceSession {
    let name: String
    let checkpoint: SourceCheckpoint?
    private let handle: KafkaHandle
    private let producer: KafkaProducer
    private let thread: BlockingThread
    private let chain = CommitChain()

    static func group(_ name: String) -> String { "stockpipe-source:" + name }

    private init(name: String, checkpoint: SourceCheckpoint?, handle: KafkaHandle, producer: KafkaProducer, thread: BlockingThread) {
        self.name = name
        self.checkpoint = checkpoint
        self.handle = handle
        self.producer = producer
        self.thread = thread
    }

    static func open(name: String, configuration: KafkaConfiguration, producer: KafkaProducer) async throws -> KafkaSourceSession {
        try await SourceRegistry.register(name, configuration: configuration)
        let handle = try GroupOffsets.client(configuration, group: group(name))
        let thread = BlockingThread(name: "kafka-source")
        do {
            let checkpoint = try await thread.run { [handle] in
                try KafkaOffsets.committed(
                    handle, topic: Topic.staging, partitions: 1, group: group(name),
                    timeoutMilliseconds: KafkaOffsets.groupTimeoutMilliseconds)[0].flatMap { decode($0.metadata) }
            }
            return KafkaSourceSession(name: name, checkpoint: checkpoint, handle: handle, producer: producer, thread: thread)
        } catch {
            _ = try? await thread.runOnce { [handle] in rd_kafka_destroy(handle.pointer) }
            throw error
        }
    }

    static func checkpoint(name: String, configuration: KafkaConfiguration) async throws -> SourceCheckpoint? {
        try await GroupOffsets.committed(configuration, group: group(name), topic: Topic.staging, partitions: 1)[0]
            .flatMap { decode($0.metadata) }
    }

    static func decode(_ metadata: [UInt8]) -> SourceCheckpoint? {
        guard let newline = metadata.firstIndex(of: 0x0A),
            let position = Int64(String(decoding: metadata[..<newline], as: UTF8.self))
        else { return nil }
        return SourceCheckpoint(position: position, state: Array(metadata[(newline + 1)...]))
    }

    func commit(publishing records: [OutgoingRecord], checkpoint: SourceCheckpoint) async throws {
        let delivery = await producer.enqueue(records)
        try await chain.append { [self] in
            try await delivery.wait()
            try await saveCheckpoint(checkpoint)
        }
    }

    func flush() async throws { try await chain.flush() }

    private func saveCheckpoint(_ checkpoint: SourceCheckpoint) async throws {
        let metadata = Array("\(checkpoint.position)\n".utf8) + checkpoint.state
        let group = Self.group(name)
        try await thread.run { [handle] in
            try KafkaOffsets.commitMetadata(handle, metadata, topic: Topic.staging, partition: 0, group: group)
        }
    }

    func close() async {
        _ = try? await thread.run { [handle] in rd_kafka_destroy(handle.pointer) }
        thread.stop()
    }
}

/// The names of the sources that ever staged records on this cluster, so that `status` can
/// find their checkpoints: commit metadata of group `stockpipe-sources` (not every cluster lists
/// groups that have no members).
enum SourceRegistry {
    static let group = "stockpipe-sources"

    static func names(configuration: KafkaConfiguration) async throws -> [String] {
        let committed = try await GroupOffsets.committed(configuration, group: group, topic: Topic.staging, partitions: 1)
        return committed[0].map { KeyedStateCoding.decode($0.metadata).keys.sorted() } ?? []
    }

    static func register(_ name: String, configuration: KafkaConfiguration) async throws {
        var names = try await self.names(configuration: configuration)
        guard !names.contains(name) else { return }
        names.append(name)
        let metadata = KeyedStateCoding.encode(names.map { (key: $0, value: "") })
        // Past the brokers' metadata limit the list stops growing; `status` then shows only the
        // sources it is told about.
        guard metadata.count <= ConsumerTracker.metadataLimit else { return }
        let handle = try GroupOffsets.client(configuration, group: group)
        try await BlockingThread(name: "kafka-registry").runOnce {
            defer { rd_kafka_destroy(handle.pointer) }
            try KafkaOffsets.commitMetadata(handle, metadata, topic: Topic.staging, partition: 0, group: group)
        }
    }
}
