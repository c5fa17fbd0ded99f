import StockpipeCore
import Synchronization

/// Batches this process has just committed, kept in memory for its own consumers of their topic:
/// a stage that has caught up gets the records the stage before it published without reading
/// them back from the file and decoding them. They are the committed records themselves, at the
/// offsets the commit gave them, so what a consumer receives is the same either way; anything not
/// held here (written by another process, or dropped) is read from the file as before.
///
/// A batch is kept only while a consumer of its topic in this process has not read past it, and
/// at most ``maxBytes`` in all (the oldest go first), so a slow consumer costs reads, not memory.
final class RecentBatches: Sendable {
    struct Batch {
        var baseOffset: Int64
        /// The committed records are `records[range]`: a commit to one topic shares its caller's
        /// array rather than copying it.
        var records: [OutgoingRecord]
        var range: Range<Int>
        var bytes: Int
        /// Order of keeping, to drop the oldest first across topics.
        var sequence = 0
        var lastOffset: Int64 { baseOffset + Int64(range.count) - 1 }
    }

    private struct State {
        var batches: [String: [Batch]] = [:]
        /// The next offset each consumer in this process reads, by consumer and topic.
        var readers: [ObjectIdentifier: (topic: String, position: Int64)] = [:]
        var bytes = 0
        var kept = 0
    }

    static let maxBytes = 48 << 20
    /// What a kept record costs beyond its encoded bytes: its arrays, strings and the struct.
    static let recordOverhead = 320
    private let state = Mutex(State())

    /// Starts keeping batches of `topic` for `reader`, which reads from `position` on.
    func register(_ reader: ObjectIdentifier, topic: String, position: Int64) {
        state.withLock { $0.readers[reader] = (topic, position) }
    }

    func unregister(_ reader: ObjectIdentifier) {
        // The batches taken out are released here, once the lock is let go.
        _ = state.withLock { state -> [Batch] in
            guard let topic = state.readers.removeValue(forKey: reader)?.topic else { return [] }
            return Self.trim(topic, in: &state)
        }
    }

    /// Whether some consumer in this process reads `topic`.
    func isRead(_ topic: String) -> Bool {
        state.withLock { $0.readers.values.contains { $0.topic == topic } }
    }

    /// Keeps freshly committed batches of topics some consumer here reads.
    func keep(_ committed: [(topic: String, batch: Batch)]) {
        guard !committed.isEmpty else { return }
        // The batches dropped over the bound are released here, once the lock is let go.
        _ = state.withLock { state -> [Batch] in
            for (topic, batch) in committed where state.readers.values.contains(where: { $0.topic == topic }) {
                var batch = batch
                state.kept += 1
                batch.sequence = state.kept
                state.batches[topic, default: []].append(batch)
                state.bytes += batch.bytes
            }
            var dropped: [Batch] = []
            while state.bytes > Self.maxBytes, let oldest = Self.oldestTopic(in: state) {
                dropped.append(state.batches[oldest]!.removeFirst())
                state.bytes -= dropped[dropped.count - 1].bytes
            }
            return dropped
        }
    }

    /// Records of `topic` from `offset` on, whole batches, stopping at the first batch boundary
    /// after `limit` records; nil unless the batch holding `offset` is here.
    func read(_ reader: ObjectIdentifier, topic: String, from offset: Int64, limit: Int) -> [ConsumedRecord]? {
        // Copies and releases happen outside the lock: the stage publishing next waits for it.
        let (found, _) = state.withLock { state -> ([Batch], [Batch]) in
            state.readers[reader]?.position = offset
            let dropped = Self.trim(topic, in: &state)
            guard let batches = state.batches[topic],
                var index = batches.firstIndex(where: { $0.lastOffset >= offset }),
                batches[index].baseOffset <= offset
            else { return ([], dropped) }
            var found: [Batch] = []
            var count = 0
            var expected = batches[index].baseOffset
            while count < limit, index < batches.endIndex, batches[index].baseOffset == expected {
                found.append(batches[index])
                count += batches[index].range.count
                expected = batches[index].lastOffset + 1
                index += 1
            }
            return (found, dropped)
        }
        guard !found.isEmpty else { return nil }
        var records: [ConsumedRecord] = []
        records.reserveCapacity(found.reduce(0) { $0 + $1.range.count })
        for batch in found {
            // Only the first batch may start before `offset` (a member resuming inside it).
            let first = batch.range.lowerBound + Int(max(0, offset - batch.baseOffset))
            batch.records.withUnsafeBufferPointer { kept in
                // Fields taken in place: copying each record out first would retain all it holds twice.
                for position in first..<batch.range.upperBound {
                    records.append(
                        ConsumedRecord(
                            topic: topic, partition: 0, offset: batch.baseOffset + Int64(position - batch.range.lowerBound),
                            key: kept[position].key, value: kept[position].value, headers: kept[position].headers,
                            timestamp: kept[position].timestamp, trade: kept[position].trade))
                }
            }
        }
        return records
    }

    /// Takes out the batches of `topic` every reader of it here has read past (all of them if
    /// none reads it), for the caller to release once it has let go of the lock.
    private static func trim(_ topic: String, in state: inout State) -> [Batch] {
        guard var batches = state.batches[topic] else { return [] }
        var needed = Int64.max
        for reader in state.readers.values where reader.topic == topic { needed = min(needed, reader.position) }
        let count = batches.prefix { $0.lastOffset < needed }.count
        guard count > 0 else { return [] }
        let dropped = Array(batches[..<count])
        state.bytes -= dropped.reduce(0) { $0 + $1.bytes }
        batches.removeFirst(count)
        state.batches[topic] = batches.isEmpty ? nil : batches
        return dropped
    }

    private static func oldestTopic(in state: State) -> String? {
        state.batches.filter { !$0.value.isEmpty }.min { $0.value[0].sequence < $1.value[0].sequence }?.key
    }
}
