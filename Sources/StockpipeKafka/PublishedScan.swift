import CRdKafka
import StockpipeCore

/// Reads back what a stage published after its last commit, so that a restarted stage publishes
/// none of it again: a key for every record in some partitions, from where the last commit left
/// them to their end. Every staged record has a source of its own, so the keys found say which
/// inputs have their output already. Blocking.
enum PublishedScan {
    /// On validation's outputs: the offset, in `staging`, of the record each was made from (on the
    /// same partition number).
    static let stagingOffsetHeader = "staging-offset"

    /// How a published record is recognised when it would be published again.
    enum Keying: Sendable {
        /// Validation's outputs: by the position of their input, from the partitions' committed
        /// offsets on (what is before them is committed already). Their contents may differ from
        /// the first time (the validator's state may have moved), so they are not compared.
        case validated(committed: [Int32: Int64])
        /// A source's records: by source and content, of the source named `name`; records
        /// re-staged by `quarantine replay` are not its own.
        case staged(name: String)

        /// The key of a record found in `partition`.
        func key(
            partition: Int32, source: String?, stagingOffset: Int64?, redriven: Bool, value: UnsafeRawBufferPointer
        ) -> String? {
            switch self {
            case .validated(let committed):
                guard let offset = stagingOffset, offset >= committed[partition] ?? 0 else { return nil }
                return Self.position(partition, offset)
            case .staged(let name):
                guard let source, !redriven, source.hasPrefix(name + ":") else { return nil }
                return source + "\u{1}" + String(StableHasher.hash64(bytes: value), radix: 16)
            }
        }

        /// The key `record` would have once published.
        func key(_ record: OutgoingRecord) -> String? {
            switch self {
            case .validated:
                guard let partition = record.inputPartition, let offset = record.inputOffset else { return nil }
                return Self.position(partition, offset)
            case .staged:
                let redriven = record.headers[header: Header.redriven] != nil
                return record.value.withUnsafeBytes {
                    key(partition: 0, source: record.headers[header: Header.source], stagingOffset: nil, redriven: redriven, value: $0)
                }
            }
        }

        private static func position(_ partition: Int32, _ offset: Int64) -> String { "\(partition)/\(offset)" }
    }

    /// More than this many records after a commit means something else went wrong; the scan
    /// stops rather than hold them all.
    static let maxRecords = 2_000_000

    struct Found {
        /// The keys of the records read, with the partition of each and how often it was there.
        var keys: [String: (partition: TopicPartition, count: Int)] = [:]
        /// Each partition's end when it was read.
        var ends: [TopicPartition: Int64] = [:]
    }

    /// Reads each partition in `starts` from its offset (its first record for `nil`) to its end.
    /// The ends are those the fetches meet (partition EOF), not asked for apart: fetching follows
    /// leaders that move while a broker is down, where offset requests fail until metadata is
    /// refreshed.
    static func sources(
        _ configuration: KafkaConfiguration, from starts: [TopicPartition: Int64?], keying: Keying,
        timeout: Duration = .seconds(60)
    ) throws -> Found {
        guard !starts.isEmpty else { return Found() }
        let handle = try GroupOffsets.client(
            configuration, group: "stockpipe-scan",
            overriding: [
                "enable.partition.eof": "true", "topic.metadata.refresh.interval.ms": "1000", "auto.offset.reset": "earliest",
            ])
        defer { rd_kafka_destroy(handle.pointer) }
        let list = rd_kafka_topic_partition_list_new(Int32(starts.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var remaining = Set<TopicPartition>()
        var found = Found()
        var asking = true
        for (partition, start) in starts {
            // Usually nothing was published after the commit: one offset request says so, where a
            // fetch would first wait for the client's metadata. Not asked again after a failure:
            // while leaders move, requests fail until the metadata is refreshed, and the fetch
            // below finds the ends instead.
            if asking {
                var (low, high): (Int64, Int64) = (0, 0)
                let asked = rd_kafka_query_watermark_offsets(
                    handle.pointer, partition.topic, partition.partition, &low, &high, 2_000)
                asking = asked == RD_KAFKA_RESP_ERR_NO_ERROR
                if asking, max(start ?? low, low) >= high {
                    found.ends[partition] = high
                    continue
                }
            }
            remaining.insert(partition)
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!.pointee.offset =
                start ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        guard !remaining.isEmpty else { return found }
        let error = rd_kafka_assign(handle.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "cannot read back what was published") }
        defer { _ = rd_kafka_assign(handle.pointer, nil) }
        let deadline = ContinuousClock.now + timeout
        var read = 0
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline, read < maxRecords else {
                throw KafkaError(
                    "cannot read back what was published after the last commit (\(remaining.map(\.description).sorted().joined(separator: ", ")) after \(read) records)"
                )
            }
            guard let message = rd_kafka_consumer_poll(handle.pointer, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            guard let topic = message.pointee.rkt else { continue }
            let partition = TopicPartition(String(cString: rd_kafka_topic_name(topic)), message.pointee.partition)
            switch message.pointee.err {
            case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                remaining.remove(partition)
                found.ends[partition] = max(found.ends[partition] ?? 0, message.pointee.offset)
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                read += 1
                found.ends[partition] = max(found.ends[partition] ?? 0, message.pointee.offset + 1)
                if let key = key(of: message, in: partition, keying) { found.keys[key, default: (partition, 0)].count += 1 }
            default:
                continue
            }
        }
        return found
    }

    private static func key(
        of message: UnsafeMutablePointer<rd_kafka_message_t>, in partition: TopicPartition, _ keying: Keying
    ) -> String? {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        func header(_ name: String) -> String? {
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            return value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
        }
        return keying.key(
            partition: partition.partition, source: header(Header.source),
            stagingOffset: header(stagingOffsetHeader).flatMap { Int64($0) }, redriven: header(Header.redriven) != nil,
            value: UnsafeRawBufferPointer(start: message.pointee.payload, count: message.pointee.len))
    }

    /// The end of each partition, asked for (with retries while leaders move).
    static func ends(_ configuration: KafkaConfiguration, of partitions: [TopicPartition]) throws -> [TopicPartition: Int64] {
        let handle = try GroupOffsets.client(configuration, group: "stockpipe-scan")
        defer { rd_kafka_destroy(handle.pointer) }
        var ends: [TopicPartition: Int64] = [:]
        for partition in partitions {
            ends[partition] = try KafkaOffsets.watermarks(
                handle, topic: partition.topic, partition: partition.partition,
                timeoutMilliseconds: KafkaOffsets.groupTimeoutMilliseconds
            ).high
        }
        return ends
    }
}

/// What a publishing stage owes after a restart: the records it published after its last commit
/// (found by ``PublishedScan``), not to be published again, and the output positions its commits
/// record so that the next restart knows where to look.
///
/// A commit records, for each output partition, the end of the outputs of the batches committed:
/// commits complete in order, so whatever is published after them lies past those ends. While a
/// partition still has records found in it that the stage has not met again, a commit records
/// where its scan started instead: the outputs between are those of inputs not yet committed.
/// Found records are let go when met, and when the stage's commits show they never will be
/// (``release(where:)``), so that nothing stays held.
struct PublishedLedger: Sendable {
    private var pending: [String: (partition: TopicPartition, count: Int)] = [:]
    private var pendingCount: [TopicPartition: Int] = [:]
    private var scanStarts: [TopicPartition: Int64] = [:]
    private var ends: [TopicPartition: Int64] = [:]

    init() {}

    /// After a scan from `starts` (a partition's first record where nil).
    mutating func recovered(_ found: PublishedScan.Found, from starts: [TopicPartition: Int64?]) {
        for (key, entry) in found.keys {
            pending[key, default: (entry.partition, 0)].count += entry.count
            pendingCount[entry.partition, default: 0] += entry.count
        }
        for (partition, start) in starts {
            ends[partition] = max(ends[partition] ?? 0, found.ends[partition] ?? start ?? 0)
            if pendingCount[partition, default: 0] > 0 { scanStarts[partition] = start ?? 0 }
        }
    }

    /// The partitions still holding records found, with where their look back started: a commit
    /// records these for them (see ``positions(holding:where:)``).
    var held: [TopicPartition: Int64] { scanStarts }

    /// Whether a record with `key` was found; it is taken off the list.
    mutating func take(_ key: String) -> Bool {
        guard let entry = pending[key] else { return false }
        pending[key] = entry.count > 1 ? (entry.partition, entry.count - 1) : nil
        lower(entry.partition, by: 1)
        return true
    }

    /// Lets go of the records found whose key or partition `gone` names: they will not come again.
    mutating func release(where gone: (String, TopicPartition) -> Bool) {
        guard !pending.isEmpty else { return }
        for (key, entry) in pending where gone(key, entry.partition) {
            pending[key] = nil
            lower(entry.partition, by: entry.count)
        }
    }

    private mutating func lower(_ partition: TopicPartition, by count: Int) {
        let left = pendingCount[partition, default: count] - count
        pendingCount[partition] = left > 0 ? left : nil
        if left <= 0 { scanStarts[partition] = nil }
    }

    /// A committed batch's outputs ended at `delivered`.
    mutating func delivered(_ delivered: [TopicPartition: Int64]) {
        ends.merge(delivered) { max($0, $1) }
    }

    /// The positions the commit of a batch records for the output partitions `included`: the
    /// ends so far (commits run in order, so these are the ends of the batches committed), or,
    /// where the batch left records found still to come (`held`, taken when it was handed over:
    /// later batches may meet them before this one is committed), where the look back started.
    func positions(holding held: [TopicPartition: Int64], where included: (TopicPartition) -> Bool = { _ in true })
        -> [TopicPartition: Int64]
    {
        var positions = ends.filter { included($0.key) }
        for (partition, start) in held where included(partition) { positions[partition] = start }
        return positions
    }

    /// Forgets the output partitions `gone`, whose inputs went to another member.
    mutating func forget(where gone: (TopicPartition) -> Bool) {
        ends = ends.filter { !gone($0.key) }
        scanStarts = scanStarts.filter { !gone($0.key) }
        pending = pending.filter { !gone($0.value.partition) }
        pendingCount = pendingCount.filter { !gone($0.key) }
    }

    /// `stock_data/3=120,bad_stock_data/3=7`
    static func encode(_ positions: [TopicPartition: Int64]) -> String {
        positions.sorted { $0.key.description < $1.key.description }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static func decode(_ text: String) -> [TopicPartition: Int64] {
        var positions: [TopicPartition: Int64] = [:]
        for entry in text.split(separator: ",") {
            guard let equals = entry.lastIndex(of: "="), let partition = TopicPartition(entry[..<equals]),
                let offset = Int64(entry[entry.index(after: equals)...])
            else { continue }
            positions[partition] = offset
        }
        return positions
    }
}
