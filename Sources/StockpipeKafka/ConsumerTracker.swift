import CRdKafka
import Foundation
import StockpipeCore
import StockpipeJSON
import Synchronization

/// What a consumer knows between polls, rebalances and commits: which partitions it owns, how far
/// each poll reached, on which partition each key lives, and state handed over by rebalances.
final class ConsumerTracker: Sendable {
    private struct Polled {
        var last: (partition: Int32, offset: Int64)
        var offsets: [Int32: Int64]
    }

    private struct State {
        var assigned: Set<Int32> = []
        var polled: [Polled] = []
        var keyPartitions: [String: Int32] = [:]
        var resumed: [String: String] = [:]
        var closing = false
        /// Records that arrived while paused, for the next poll.
        var held: [ConsumedRecord] = []
        /// Partitions taken away by rebalances or lost with the membership, over the consumer's life.
        var revoked = 0
        /// Positions whose commit a rebalance refused, on partitions this consumer kept: nobody
        /// reads those records again, so the positions are committed again (see `commitAgain`).
        var refused: [Int32: Refused] = [:]
        /// Commits under way: their batches are written, their positions not yet with the brokers.
        var committing = 0
        /// Whether the group has handed this member an assignment (possibly empty) yet.
        var assignedOnce = false
        /// Whether this consumer took every partition itself, outside the group (see
        /// ``KafkaConsumer/claimAlone(_:tracker:group:brokers:)``); `nil` until it is decided.
        var alone: Bool? = nil
        /// What this member published after the last commits of its partitions (see ``PublishedLedger``).
        var ledger = PublishedLedger()
        /// For each partition read back: its end then. Every output found came from a record before
        /// it, so once the commits pass it, what was found and not met again never will be.
        var bounds: [Int32: Int64] = [:]
    }

    private struct Refused {
        var offset: Int64
        var metadata: [UInt8]?
    }

    /// Kafka brokers keep at most `offset.metadata.max.bytes` (4096 by default) of commit metadata.
    static let metadataLimit = 4000

    let topic: String
    /// The topics this member publishes each input to, on the input's partition number.
    let outputs: [String]
    /// The cluster to read the outputs back from; nil for a member that publishes nothing.
    let configuration: KafkaConfiguration?
    private let state = Mutex(State())

    /// The commit metadata entry that says where each output partition stood at the commit.
    static let publishedKey = "@published"

    init(topic: String, outputs: [String] = [], configuration: KafkaConfiguration? = nil) {
        self.topic = topic
        self.outputs = configuration == nil ? [] : outputs
        self.configuration = configuration
    }

    /// The records of `records` to publish: not those found published already (see
    /// ``PublishedLedger``), nor those of partitions handed to another member meanwhile, whose
    /// records that member reads and publishes again. And the look backs still held after them,
    /// which the commit of this batch records.
    func unpublished(_ records: [OutgoingRecord]) -> (records: [OutgoingRecord], held: [TopicPartition: Int64]) {
        guard !outputs.isEmpty else { return (records, [:]) }
        return state.withLock { state in
            let kept = records.filter { record in
                guard let partition = record.inputPartition else { return true }
                guard state.assigned.contains(partition) else { return false }
                guard let bound = state.bounds[partition], let offset = record.inputOffset, offset < bound,
                    let key = PublishedScan.Keying.validated(committed: [:]).key(record)
                else { return true }
                return !state.ledger.take(key)
            }
            return (kept, state.ledger.held)
        }
    }

    /// The outputs of a batch about to be committed ended at `delivered`.
    func delivered(_ delivered: [TopicPartition: Int64]) {
        guard !outputs.isEmpty, !delivered.isEmpty else { return }
        state.withLock { $0.ledger.delivered(delivered) }
    }

    func polled(_ records: [ConsumedRecord]) {
        guard let last = records.last else { return }
        state.withLock { state in
            var offsets: [Int32: Int64] = [:]
            for record in records {
                offsets[record.partition] = max(offsets[record.partition] ?? -1, record.offset)
                if !record.key.isEmpty, state.keyPartitions[record.key] != record.partition {
                    state.keyPartitions[record.key] = record.partition
                }
            }
            state.polled.append(Polled(last: (last.partition, last.offset), offsets: offsets))
        }
    }

    var revokedPartitions: Int { state.withLock(\.revoked) }

    var hasBeenAssigned: Bool { state.withLock(\.assignedOnce) }

    /// Whether this consumer reads alone, outside its group; `nil` until its first poll decides.
    var readsAlone: Bool? {
        get { state.withLock(\.alone) }
        set { state.withLock { $0.alone = newValue } }
    }

    func hold(_ record: ConsumedRecord) {
        state.withLock { $0.held.append(record) }
    }

    func takeHeld() -> [ConsumedRecord] {
        state.withLock { state in
            defer { state.held = [] }
            return state.held
        }
    }

    var isClosing: Bool { state.withLock(\.closing) }

    /// From now on, assignments are only acknowledged: the consumer is leaving its group.
    func close() {
        state.withLock { $0.closing = true }
    }

    func takeResumedState() -> [String: String] {
        state.withLock { state in
            defer { state.resumed = [:] }
            return state.resumed
        }
    }

    /// The offsets to commit for everything polled up to `last`, on partitions still owned, each
    /// with the state of its keys as metadata. The caller destroys the list.
    /// Counts as a commit under way until ``commitFinished()``.
    /// `held`: the look backs the batch left held (see ``unpublished(_:)``).
    func commitList(
        through last: ConsumedRecord, state keyed: [String: String]?, held: [TopicPartition: Int64] = [:]
    ) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        state.withLock { state in
            state.committing += 1
            var offsets: [Int32: Int64] = [:]
            while !state.polled.isEmpty {
                let polled = state.polled.removeFirst()
                offsets.merge(polled.offsets) { max($0, $1) }
                if polled.last == (last.partition, last.offset) { break }
            }
            var shares: [Int32: [(String, String)]] = [:]
            for (key, value) in keyed ?? [:] {
                if let partition = state.keyPartitions[key] { shares[partition, default: []].append((key, value)) }
            }
            let list = rd_kafka_topic_partition_list_new(Int32(offsets.count + state.refused.count))!
            for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) where state.assigned.contains(partition) {
                let element = rd_kafka_topic_partition_list_add(list, topic, partition)!
                element.pointee.offset = offset + 1
                var published: (String, String)?
                if !outputs.isEmpty {
                    var held = held
                    if let bound = state.bounds[partition], offset + 1 >= bound {
                        // Every record found came before the bound: what was not met never will be.
                        state.bounds[partition] = nil
                        state.ledger.release { $1.partition == partition }
                        held = held.filter { $0.key.partition != partition }
                    }
                    let positions = state.ledger.positions(holding: held) { $0.partition == partition }
                    published = (Self.publishedKey, PublishedLedger.encode(positions))
                }
                if keyed != nil || published != nil {
                    Self.attach(Self.encode(shares[partition] ?? [], always: published), to: element)
                }
            }
            Self.add(state.refused.filter { offsets[$0.key] == nil && state.assigned.contains($0.key) }, to: list, topic: topic)
            return list
        }
    }

    /// The refused positions of partitions still owned, to commit again; the caller destroys the list.
    func refusedList() -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        state.withLock { state in
            let list = rd_kafka_topic_partition_list_new(Int32(state.refused.count))!
            Self.add(state.refused.filter { state.assigned.contains($0.key) }, to: list, topic: topic)
            return list
        }
    }

    private static func add(_ refused: [Int32: Refused], to list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, topic: String) {
        for (partition, entry) in refused.sorted(by: { $0.key < $1.key }) {
            let element = rd_kafka_topic_partition_list_add(list, topic, partition)!
            element.pointee.offset = entry.offset
            if let metadata = entry.metadata { attach(metadata, to: element) }
        }
    }

    func commitFinished() {
        state.withLock { $0.committing -= 1 }
    }

    /// The brokers took the commit of `list`: nothing of those partitions is owed any more.
    func committed(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let elements = UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        state.withLock { state in
            for element in elements where (state.refused[element.partition]?.offset ?? .max) <= element.offset {
                state.refused[element.partition] = nil
            }
        }
    }

    /// A rebalance refused the commit of `list`: its positions are kept for the partitions still owned.
    func refused(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let elements = UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        let entries = elements.map { element in
            (
                element.partition,
                Refused(
                    offset: element.offset,
                    metadata: element.metadata.map {
                        Array(UnsafeRawBufferPointer(start: $0, count: element.metadata_size))
                    })
            )
        }
        state.withLock { state in
            for (partition, entry) in entries where state.assigned.contains(partition) {
                if (state.refused[partition]?.offset ?? -1) < entry.offset { state.refused[partition] = entry }
            }
        }
    }

    /// `{"key":"value",...}`, sorted, cut at whole entries to fit the brokers' metadata limit; the
    /// entries left out are the stage's to rebuild (the validator re-learns those prices).
    static func encode(_ entries: [(String, String)], always reserved: (String, String)? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        var size = 2
        writer.objectStart()
        if let (key, value) = reserved {
            size += key.utf8.count + value.utf8.count + 6
            writer.key(dynamic: key)
            writer.string(value)
        }
        for (key, value) in entries.sorted(by: { $0.0 < $1.0 }) {
            size += key.utf8.count + value.utf8.count + 6
            if size > metadataLimit { break }
            writer.key(dynamic: key)
            writer.string(value)
        }
        writer.objectEnd()
        let bytes = writer.bytes
        return bytes.count <= metadataLimit ? bytes : Array("{}".utf8)
    }

    /// librdkafka frees metadata with free(), so it is copied into malloc'd memory.
    static func attach(_ bytes: [UInt8], to element: UnsafeMutablePointer<rd_kafka_topic_partition_t>) {
        guard let memory = malloc(bytes.count) else { return }
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        element.pointee.metadata = memory
        element.pointee.metadata_size = bytes.count
    }

    /// Called on the poll thread, inside `rd_kafka_consumer_poll`, when the group rebalances.
    func rebalance(
        _ handle: OpaquePointer, _ error: rd_kafka_resp_err_t,
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        // NULL when the group cannot be asked (it crashed a CI run while consumers closed and
        // joined); then the cooperative call is made, and the eager one if that is refused.
        let cooperative: Bool? = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) == "COOPERATIVE" }
        let elements = UnsafeMutableBufferPointer(start: partitions.pointee.elems, count: Int(partitions.pointee.cnt))
        let ids = Set(elements.map(\.partition))
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            take(partitions, handle)
            if cooperative != false, Self.succeeded(rd_kafka_incremental_assign(handle, partitions)) || cooperative == true { return }
            _ = rd_kafka_assign(handle, partitions)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            awaitCommits(of: ids, handle)
            forget(ids)
            if cooperative != false, Self.succeeded(rd_kafka_incremental_unassign(handle, partitions)) || cooperative == true { return }
            _ = rd_kafka_assign(handle, nil)
        default:
            forget(nil)
            _ = rd_kafka_assign(handle, nil)
        }
    }

    /// Takes `partitions` over: reads their committed positions (into the list) and the state that
    /// came with them, and reads back what was published after those positions, all before any of
    /// their records is fetched. (Not while closing: nothing more will be read, and the requests
    /// would only wait.)
    func take(_ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, _ handle: OpaquePointer) {
        let elements = UnsafeMutableBufferPointer(start: partitions.pointee.elems, count: Int(partitions.pointee.cnt))
        let ids = Set(elements.map(\.partition))
        var known = false
        if !state.withLock(\.closing) {
            let error = rd_kafka_committed(handle, partitions, 10_000)
            known = error == RD_KAFKA_RESP_ERR_NO_ERROR
            if !known {
                KafkaLogging.logger.warning(
                    "\(topic): cannot read the positions committed for partitions \(ids.sorted()) (\(String(cString: rd_kafka_err2str(error)))); reading on from where the group stands"
                )
            }
        }
        var handedOver: [(Int32, [String: String])] = []
        var starts: [TopicPartition: Int64?] = [:]
        var unknown: [TopicPartition] = []
        var committed: [Int32: Int64] = [:]
        for element in elements {
            var entries: [String: String] = [:]
            if element.metadata != nil && element.metadata_size > 0 {
                entries = KeyedStateCoding.decode(UnsafeRawBufferPointer(start: element.metadata, count: element.metadata_size))
            }
            let published = entries.removeValue(forKey: Self.publishedKey).map(PublishedLedger.decode)
            if !entries.isEmpty { handedOver.append((element.partition, entries)) }
            guard !outputs.isEmpty, known, element.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            if element.offset >= 0 { committed[element.partition] = element.offset }
            for output in outputs {
                let key = TopicPartition(output, element.partition)
                if let start = published?[key] {
                    starts[key] = start  // read back from where the last commit left it
                } else if element.offset < 0 {
                    starts[key] = .some(nil)  // never committed: from its first record
                } else {
                    unknown.append(key)  // committed by an older version: from now on
                }
            }
        }
        recover(from: starts, unknown: unknown, committed: committed)
        state.withLock { state in
            state.assignedOnce = true
            state.assigned.formUnion(ids)
            for (partition, entries) in handedOver {
                for (key, value) in entries {
                    state.resumed[key] = value
                    state.keyPartitions[key] = partition
                }
            }
        }
    }

    /// Whether a call that answers an error object (or NULL) succeeded; the object is destroyed.
    private static func succeeded(_ failure: OpaquePointer?) -> Bool {
        guard let failure else { return true }
        rd_kafka_error_destroy(failure)
        return false
    }

    /// How long a revocation waits for the batches in hand to be written and committed.
    static let handOverTimeout = Duration.seconds(60)

    /// Holds a revocation (on the poll thread, which may block) until every record polled from
    /// `partitions` is committed: the stage is writing that batch now, and the partitions' next
    /// owner must not write the same records at the same time. Per-day counts downstream are read,
    /// added to and written back, so two writers would count twice. The commit also spares the
    /// next owner a redelivery. Not while closing: a closing stage has nothing in hand.
    ///
    /// A commit made while the group was still joining is refused; it is made again here, where
    /// the group has settled (the brokers take a commit from the rebalance callback).
    private func awaitCommits(of partitions: Set<Int32>, _ handle: OpaquePointer) {
        let deadline = ContinuousClock.now + Self.handOverTimeout
        while true {
            let busy = state.withLock { state in
                !state.closing && (state.committing > 0 || state.polled.contains { $0.offsets.keys.contains(where: partitions.contains) })
            }
            if !busy { break }
            guard ContinuousClock.now < deadline else {
                KafkaLogging.logger.warning(
                    "\(topic): partitions \(partitions.sorted()) are handed over with a batch still being written after \(Self.handOverTimeout)")
                return
            }
            usleep(2_000)
        }
        // Not while closing: librdkafka 2.0 can wait without end for a commit made from the
        // revocation its close makes (a CI run hung there). The next owner reads those records
        // again, and its read-back of what was published keeps it from publishing them twice.
        let owed = state.withLock { $0.closing ? [:] : $0.refused.filter { partitions.contains($0.key) } }
        guard !owed.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(owed.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        Self.add(owed, to: list, topic: topic)
        let error = rd_kafka_commit(handle, list, 0)
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            committed(list)
        } else {
            KafkaLogging.logger.debug(
                "\(topic): partitions \(owed.keys.sorted()) handed over uncommitted (\(String(cString: rd_kafka_err2str(error)))); their next owner reads their last records again"
            )
        }
    }

    /// Reads back what was published after the last commits of newly assigned partitions, before
    /// any of their records is fetched, so that none of it is published again. Where that is not
    /// known (`unknown`: committed by an older version), the ends from now on are recorded.
    private func recover(from starts: [TopicPartition: Int64?], unknown: [TopicPartition], committed: [Int32: Int64]) {
        guard let configuration, !starts.isEmpty || !unknown.isEmpty, !state.withLock(\.closing) else { return }
        do {
            var found = try PublishedScan.sources(configuration, from: starts, keying: .validated(committed: committed))
            var from = starts
            if !unknown.isEmpty {
                let ends = try PublishedScan.ends(configuration, of: unknown)
                for (partition, end) in ends {
                    found.ends[partition] = end
                    from[partition] = end
                }
            }
            // Every output found came from a record before the input's end now.
            let inputs = Set(found.keys.values.map(\.partition.partition)).map { TopicPartition(topic, $0) }
            let bounds = inputs.isEmpty ? [:] : try PublishedScan.ends(configuration, of: inputs)
            state.withLock { state in
                state.ledger.recovered(found, from: from)
                for (input, bound) in bounds { state.bounds[input.partition] = bound }
            }
            if !found.keys.isEmpty {
                KafkaLogging.logger.info(
                    "\(topic): \(found.keys.count) records were published after the last commit of partitions \(inputs.map(\.partition).sorted()); they are not published again"
                )
            }
        } catch {
            KafkaLogging.logger.error(
                "\(topic): cannot read back what was published after the last commit, so some records may be published again: \(error)")
            // Where the outputs end now, at least, so that the next look back has a start.
            let partitions = Array(starts.keys) + unknown
            if let ends = try? PublishedScan.ends(configuration, of: partitions) {
                state.withLock { $0.ledger.recovered(PublishedScan.Found(ends: ends), from: ends) }
            }
        }
    }

    /// Drops what is known of revoked partitions (`nil`: all of them).
    private func forget(_ partitions: Set<Int32>?) {
        state.withLock { state in
            let gone = partitions ?? state.assigned
            state.ledger.forget { gone.contains($0.partition) }
            state.bounds = state.bounds.filter { !gone.contains($0.key) }
            state.revoked += gone.count
            state.assigned.subtract(gone)
            state.refused = state.refused.filter { !gone.contains($0.key) }
            state.keyPartitions = state.keyPartitions.filter { !gone.contains($0.value) }
            state.held = state.held.filter { !gone.contains($0.partition) }
            for index in state.polled.indices {
                state.polled[index].offsets = state.polled[index].offsets.filter { !gone.contains($0.key) }
            }
        }
    }
}
