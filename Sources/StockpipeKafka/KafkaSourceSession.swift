import CRdKafka
import StockpipeCore
import Synchronization

/// A source's checkpoint on Kafka: the commit metadata of group `stockpipe-source:NAME` on
/// partition 0 of `staging` (`"POSITION\nSTATE\nPUBLISHED"`). The group never consumes;
/// committing through it after the records are acknowledged keeps the checkpoint behind what was
/// published.
///
/// One session per source at a time, among every process on the cluster: opening one takes the
/// hold `source:NAME` (see ``KafkaHold``), waiting while another process has it, and a session
/// that loses it stops publishing.
///
/// Each record is staged once: `PUBLISHED` says where in each partition of `staging` the records
/// published after this checkpoint begin, and a session that opens reads them back and does not
/// stage them again when the source gives them again (see ``PublishedLedger``).
final class KafkaSourceSession: SourceSession {
    let name: String
    /// Whether the source gives the same records again from a checkpoint (see ``Log/source(name:replayable:)``).
    let replayable: Bool
    let checkpoint: SourceCheckpoint?
    private let handle: KafkaHandle
    private let producer: KafkaProducer
    private let thread: BlockingThread
    private let chain = CommitChain()
    private let ledger: Mutex<PublishedLedger>
    private let hold: KafkaHold

    static func group(_ name: String) -> String { "stockpipe-source:" + name }

    private init(
        name: String, replayable: Bool, checkpoint: SourceCheckpoint?, ledger: PublishedLedger, handle: KafkaHandle,
        producer: KafkaProducer, thread: BlockingThread, hold: KafkaHold
    ) {
        self.hold = hold
        self.name = name
        self.replayable = replayable
        self.checkpoint = checkpoint
        self.ledger = Mutex(ledger)
        self.handle = handle
        self.producer = producer
        self.thread = thread
    }

    /// Reads back the records staged after the checkpoint; records the ends of `staging` at once
    /// when this source has no checkpoint yet, so that a crash before its first one finds them too.
    private static func recover(
        _ name: String, metadata: [UInt8]?, configuration: KafkaConfiguration, _ handle: KafkaHandle
    ) throws -> PublishedLedger {
        let count = try KafkaMetadata.partitionCount(
            handle, topic: Topic.staging, timeoutMilliseconds: KafkaOffsets.groupTimeoutMilliseconds,
            brokers: configuration.brokers)
        let partitions = (0..<count).map { TopicPartition(Topic.staging, $0) }
        var ledger = PublishedLedger()
        guard let published = metadata.flatMap({ decodePublished($0) }) else {
            let ends = try PublishedScan.ends(configuration, of: partitions)
            ledger.recovered(PublishedScan.Found(ends: ends), from: ends)
            if metadata == nil {
                try KafkaOffsets.commitMetadata(
                    handle, Array("\n\n\(PublishedLedger.encode(ends))".utf8), topic: Topic.staging, partition: 0,
                    group: group(name))
            }
            return ledger
        }
        var starts: [TopicPartition: Int64?] = [:]
        var unknown: [TopicPartition] = []
        for partition in partitions {
            if let start = published[partition] { starts[partition] = start } else { unknown.append(partition) }
        }
        var found: PublishedScan.Found
        do {
            found = try PublishedScan.sources(configuration, from: starts, keying: .staged(name: name))
        } catch {
            KafkaLogging.logger.error(
                "\(name): cannot read back what was staged after the last checkpoint, so some records may be staged again: \(error)")
            // Where staging ends now, at least, so that the next look back has a start.
            let ends = try PublishedScan.ends(configuration, of: partitions)
            ledger.recovered(PublishedScan.Found(ends: ends), from: ends)
            return ledger
        }
        var from = starts
        for (partition, end) in try PublishedScan.ends(configuration, of: unknown) {
            found.ends[partition] = end
            from[partition] = end
        }
        // Records of messages before the checkpoint may be among them (the look back started
        // where an earlier one was still held): they are let go with the first checkpoint, whose
        // batch says which file they are read from now (see ``releasePast(_:in:)``).
        ledger.recovered(found, from: from)
        if !found.keys.isEmpty {
            KafkaLogging.logger.info(
                "\(name): \(found.keys.count) records were staged after the last checkpoint; they are not staged again")
        }
        return ledger
    }

    /// Where a record's message is in its source: the file generation and the number after `@`
    /// in its label (`NAME:@1234#0`, `NAME:file2@1234#0` once the file was replaced: a byte offset
    /// in that file, as checkpoint positions are).
    static func place(of key: String, name: String) -> (generation: Int, position: Int64)? {
        guard key.hasPrefix(name + ":") else { return nil }
        let label = key.dropFirst(name.count + 1).prefix { $0 != "#" && $0 != "\u{1}" }
        guard let at = label.firstIndex(of: "@"), let position = Int64(label[label.index(after: at)...]) else { return nil }
        let prefix = label[..<at]
        guard prefix.isEmpty || prefix.hasPrefix("file") else { return nil }
        let generation = prefix.isEmpty ? 1 : Int(prefix.dropFirst(4)) ?? 1
        return (generation, position)
    }

    /// Lets go of the records found whose messages the source has read past: the checkpoint at
    /// `position` is of a batch from file generation `generation`.
    static func releasePast(_ position: Int64, generation: Int, in ledger: inout PublishedLedger, name: String) {
        ledger.release { key, _ in
            guard let place = place(of: key, name: name) else { return false }
            return place.generation < generation || (place.generation == generation && place.position < position)
        }
    }

    static func open(
        name: String, replayable: Bool, configuration: KafkaConfiguration, producer: KafkaProducer,
        lease: Duration = KafkaHold.lease
    ) async throws -> KafkaSourceSession {
        let hold = try await KafkaHold.take("source:" + name, configuration: configuration, lease: lease)
        let handle: KafkaHandle
        do {
            try await SourceRegistry.register(name, configuration: configuration)
            handle = try GroupOffsets.client(configuration, group: group(name))
        } catch {
            await hold.release()
            throw error
        }
        let thread = BlockingThread(name: "kafka-source")
        do {
            let (checkpoint, ledger) = try await thread.run { [handle] in
                let committed = try KafkaOffsets.committed(
                    handle, topic: Topic.staging, partitions: 1, group: group(name),
                    timeoutMilliseconds: KafkaOffsets.groupTimeoutMilliseconds)[0]
                // nil when this source never committed anything.
                let metadata = committed.flatMap { $0.offset >= 0 ? $0.metadata : nil }
                let checkpoint = metadata.flatMap { decode($0) }
                guard replayable else { return (checkpoint, PublishedLedger()) }
                do {
                    return (checkpoint, try recover(name, metadata: metadata, configuration: configuration, handle))
                } catch {
                    KafkaLogging.logger.error(
                        "\(name): cannot read back what was staged after the last checkpoint, so some records may be staged again: \(error)")
                    return (checkpoint, PublishedLedger())
                }
            }
            return KafkaSourceSession(
                name: name, replayable: replayable, checkpoint: checkpoint, ledger: ledger, handle: handle, producer: producer,
                thread: thread, hold: hold)
        } catch {
            _ = try? await thread.runOnce { [handle] in rd_kafka_destroy(handle.pointer) }
            await hold.release()
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
        let rest = metadata[(newline + 1)...]
        // The state is JSON on one line; the positions, where written, follow on the next.
        let state = rest.firstIndex(of: 0x0A).map { rest[..<$0] } ?? rest
        return SourceCheckpoint(position: position, state: Array(state))
    }

    /// Where the records staged after the checkpoint begin; nil for a checkpoint without them.
    static func decodePublished(_ metadata: [UInt8]) -> [TopicPartition: Int64]? {
        guard let first = metadata.firstIndex(of: 0x0A), let second = metadata[(first + 1)...].firstIndex(of: 0x0A) else {
            return nil
        }
        return PublishedLedger.decode(String(decoding: metadata[(second + 1)...], as: UTF8.self))
    }

    func commit(publishing records: [OutgoingRecord], checkpoint: SourceCheckpoint) async throws {
        try await hold.ensureHeld("source \(name)")
        let keying = PublishedScan.Keying.staged(name: name)
        var unpublished = records
        var held: [TopicPartition: Int64] = [:]
        if replayable {
            (unpublished, held) = ledger.withLock { ledger in
                (records.filter { record in keying.key(record).map { !ledger.take($0) } ?? true }, ledger.held)
            }
        }
        // The file the batch ends in, for letting go of what the source has read past.
        let generation = records.last { $0.headers[header: Header.source]?.hasPrefix(name + ":") == true }
            .flatMap { $0.headers[header: Header.source] }.flatMap { Self.place(of: $0, name: name)?.generation }
        let delivery = await producer.enqueue(unpublished)
        try await chain.append(
            delivering: { [self] in
                try await delivery.wait()
                ledger.withLock { ledger in
                    ledger.delivered(delivery.ends())
                    if let generation { Self.releasePast(checkpoint.position, generation: generation, in: &ledger, name: name) }
                }
            },
            committing: { [self, held] in
                try await hold.ensureHeld("source \(name)")
                try await saveCheckpoint(checkpoint, published: ledger.withLock { $0.positions(holding: held) })
            })
    }

    func flush() async throws { try await chain.flush() }

    private func saveCheckpoint(_ checkpoint: SourceCheckpoint, published: [TopicPartition: Int64]) async throws {
        var metadata = Array("\(checkpoint.position)\n".utf8) + checkpoint.state
        let positions = Array("\n\(PublishedLedger.encode(published))".utf8)
        // Brokers keep at most 4 KiB of it; without positions the next session does not look back.
        if metadata.count + positions.count <= ConsumerTracker.metadataLimit { metadata += positions }
        let (group, checkpointMetadata) = (Self.group(name), metadata)
        try await thread.run { [handle] in
            try KafkaOffsets.commitMetadata(handle, checkpointMetadata, topic: Topic.staging, partition: 0, group: group)
        }
    }

    func close() async {
        _ = try? await thread.run { [handle] in rd_kafka_destroy(handle.pointer) }
        thread.stop()
        await hold.release()
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
