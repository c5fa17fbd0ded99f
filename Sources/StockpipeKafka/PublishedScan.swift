import CRdKafka
import StockpipeCore

/// Reads back what a stage published after its last commit, so that a restarted stage publishes
/// none of it again: the `source` header of every record in some partitions, from where the last
/// commit left them to their end. Every staged record has a source of its own, so the set of
/// sources found is the set of inputs whose output already stands. Blocking.
enum PublishedScan {
    /// More than this many records after a commit means something else went wrong; the scan
    /// stops rather than hold them all.
    static let maxRecords = 2_000_000

    struct Found {
        /// The sources read that begin with the prefix asked for, with the partition of each and
        /// how often it was there (a record sent through again by `quarantine replay` keeps its source).
        var sources: [String: (partition: TopicPartition, count: Int)] = [:]
        /// Each partition's end when it was read.
        var ends: [TopicPartition: Int64] = [:]
    }

    /// Reads each partition in `starts` from its offset (its first record for `nil`) to its end.
    /// The ends are those the fetches meet (partition EOF), not asked for apart: fetching follows
    /// leaders that move while a broker is down, where offset requests fail until metadata is
    /// refreshed.
    static func sources(
        _ configuration: KafkaConfiguration, from starts: [TopicPartition: Int64?], prefix: String,
        timeout: Duration = .seconds(60)
    ) throws -> Found {
        guard !starts.isEmpty else { return Found() }
        let handle = try GroupOffsets.client(
            configuration, group: "stockpipe-scan", overriding: ["enable.partition.eof": "true", "topic.metadata.refresh.interval.ms": "1000"])
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
                if let source = source(of: message), source.hasPrefix(prefix) {
                    found.sources[source, default: (partition, 0)].count += 1
                }
            default:
                continue
            }
        }
        return found
    }

    private static func source(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> String? {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        var value: UnsafeRawPointer?
        var size = 0
        guard rd_kafka_header_get_last(headers, Header.source, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let value else {
            return nil
        }
        return String(decoding: UnsafeRawBufferPointer(start: value, count: size), as: UTF8.self)
    }
}

/// What a publishing stage owes after a restart: the sources it published after its last commit
/// (found by ``PublishedScan``), not to be published again, and the output positions its commits
/// record so that the next restart knows where to look.
///
/// A commit records, for each output partition, the end of the outputs of the batches committed:
/// commits complete in order, so whatever is published after them lies past those ends. Until
/// every source found in a partition has come by again, a commit records where the scan of that
/// partition started instead: the outputs between are those of inputs not yet committed again.
struct PublishedLedger: Sendable {
    /// Sources published after the last commit, with the partition each was found in and how often.
    private var pending: [String: (partition: TopicPartition, count: Int)] = [:]
    private var pendingCount: [TopicPartition: Int] = [:]
    private var scanStarts: [TopicPartition: Int64] = [:]
    private var ends: [TopicPartition: Int64] = [:]

    init() {}

    var isRecovering: Bool { !pending.isEmpty }

    /// After a scan from `starts` (a partition's first record where nil).
    mutating func recovered(_ found: PublishedScan.Found, from starts: [TopicPartition: Int64?]) {
        for (source, entry) in found.sources {
            pending[source, default: (entry.partition, 0)].count += entry.count
            pendingCount[entry.partition, default: 0] += entry.count
        }
        for (partition, start) in starts {
            ends[partition] = max(ends[partition] ?? 0, found.ends[partition] ?? 0)
            if pendingCount[partition, default: 0] > 0 { scanStarts[partition] = start ?? 0 }
        }
    }

    /// The records of `records` not published already, forgetting the sources it meets; and the
    /// scan starts still held after them, which the commit of this batch records.
    mutating func unpublished(_ records: [OutgoingRecord]) -> (records: [OutgoingRecord], held: [TopicPartition: Int64]) {
        guard !pending.isEmpty else { return (records, scanStarts) }
        let kept = records.filter { record in
            guard let source = record.headers[header: Header.source], let entry = pending[source] else { return true }
            let partition = entry.partition
            pending[source] = entry.count > 1 ? (partition, entry.count - 1) : nil
            pendingCount[partition, default: 1] -= 1
            if pendingCount[partition] == 0 {
                pendingCount[partition] = nil
                scanStarts[partition] = nil
            }
            return false
        }
        return (kept, scanStarts)
    }

    /// A committed batch's outputs ended at `delivered`.
    mutating func delivered(_ delivered: [TopicPartition: Int64]) {
        ends.merge(delivered) { max($0, $1) }
    }

    /// The positions the commit of a batch records for the output partitions `included`: the
    /// ends so far (commits run in order, so these are the ends of the batches committed), or the
    /// scan start where the batch left one `held`.
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
