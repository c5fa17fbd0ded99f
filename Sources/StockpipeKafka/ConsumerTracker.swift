import CRdKafka
import Foundation
import StockpipeJSON
import StockpipeLog
import StockpipeModel
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
    }

    /// Kafka brokers keep at most `offset.metadata.max.bytes` (4096 by default) of commit metadata.
    static let metadataLimit = 4000

    let topic: String
    private let state = Mutex(State())

    init(topic: String) {
        self.topic = topic
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

    func hold(_ record: ConsumedRecord) {
        state.withLock { $0.held.append(record) }
    }

    func takeHeld() -> [ConsumedRecord] {
        state.withLock { state in
            defer { state.held = [] }
            return state.held
        }
    }

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
    func commitList(through last: ConsumedRecord, state keyed: [String: String]?) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        state.withLock { state in
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
            let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
            for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) where state.assigned.contains(partition) {
                let element = rd_kafka_topic_partition_list_add(list, topic, partition)!
                element.pointee.offset = offset + 1
                if keyed != nil { Self.attach(Self.encode(shares[partition] ?? []), to: element) }
            }
            return list
        }
    }

    /// `{"key":"value",...}`, sorted, cut at whole entries to fit the brokers' metadata limit; the
    /// entries left out are the stage's to rebuild (the validator re-learns those prices).
    static func encode(_ entries: [(String, String)]) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        var size = 2
        writer.objectStart()
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
    func rebalance(_ handle: OpaquePointer, _ error: rd_kafka_resp_err_t,
                   _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let elements = UnsafeMutableBufferPointer(start: partitions.pointee.elems, count: Int(partitions.pointee.cnt))
        let ids = Set(elements.map(\.partition))
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            // The committed offsets and their state, before any record of these partitions is fetched.
            // (Not while closing: nothing more will be read, and the request would only wait.)
            if !state.withLock(\.closing) { _ = rd_kafka_committed(handle, partitions, 10_000) }
            var handedOver: [(Int32, [String: String])] = []
            for element in elements where element.metadata != nil && element.metadata_size > 0 {
                let bytes = UnsafeRawBufferPointer(start: element.metadata, count: element.metadata_size)
                handedOver.append((element.partition, KeyedStateCoding.decode(bytes)))
            }
            state.withLock { state in
                state.assigned.formUnion(ids)
                for (partition, entries) in handedOver {
                    for (key, value) in entries {
                        state.resumed[key] = value
                        state.keyPartitions[key] = partition
                    }
                }
            }
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, partitions) { rd_kafka_error_destroy(failure) }
            } else {
                _ = rd_kafka_assign(handle, partitions)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            forget(ids)
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, partitions) { rd_kafka_error_destroy(failure) }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        default:
            forget(nil)
            _ = rd_kafka_assign(handle, nil)
        }
    }

    /// Drops what is known of revoked partitions (`nil`: all of them).
    private func forget(_ partitions: Set<Int32>?) {
        state.withLock { state in
            let gone = partitions ?? state.assigned
            state.revoked += gone.count
            state.assigned.subtract(gone)
            state.keyPartitions = state.keyPartitions.filter { !gone.contains($0.value) }
            for index in state.polled.indices {
                state.polled[index].offsets = state.polled[index].offsets.filter { !gone.contains($0.key) }
            }
        }
    }
}
