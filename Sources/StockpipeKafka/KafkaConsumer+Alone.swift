import CRdKafka
import Glibc
import StockpipeCore

extension KafkaConsumer {
    /// At the polls of a drain until it is decided: reads alone once it holds its group's drain
    /// claim (while another drain holds it, each poll asks once and waits) and the group has no
    /// members; joins the group otherwise. Returns whether it is decided.
    func decideAlone(waiting milliseconds: Int32) throws -> Bool {
        guard !tracker.isClosing else { return false }
        var step = KafkaClaim.Step.givenUp
        do {
            let claim = try drainClaim.withLock { claim in
                if claim == nil { claim = try KafkaClaim.drain(configuration, group: group, topic: topic, lease: claimLease) }
                return claim
            }
            step = claim?.step() ?? .givenUp
        } catch {
            KafkaLogging.logger.debug("group \(group): no client for the drain claim (\(error)); this drain joins the group")
        }
        switch step {
        case .waiting:
            usleep(UInt32(min(max(milliseconds, 0), 250)) * 1_000)
            return false
        case .held where Self.claimAlone(handle, tracker: tracker, group: group, brokers: brokers):
            tracker.readsAlone = true
        case .held, .givenUp:
            drainClaim.withLock { claim in
                claim?.release()
                claim = nil
            }
            tracker.readsAlone = false
            try Self.subscribe(handle, group: group, topic: topic)
        }
        return true
    }

    /// Throws when this drain reads alone but may no longer: it lost its claim.
    func checkClaim() throws {
        guard tracker.readsAlone == true, let claim = drainClaim.withLock({ $0 }), !claim.isHeld else { return }
        throw KafkaError(
            "this drain of group \(group) lost its claim to read \(topic) alone (it could not renew it for \(claim.lease * 2 / 3), or another drain took it), so another drain may read it now; it stops at its last commit"
        )
    }

    /// Takes every partition of the topic for a drain, without joining the group, if the group
    /// has no members; returns whether it did. Runs on the poll thread, before the first fetch.
    ///
    /// A group's first join is held for more members to come (brokers' `group.initial.rebalance.delay.ms`,
    /// 3 s by default, and the same in librdkafka's mock): a `validate --drain` that Airflow starts
    /// every few minutes on a group left empty by the last run would spend most of its time waiting.
    ///
    /// Whether the group is empty is asked the one way brokers answer it to a client outside the
    /// group: by committing its positions again, unchanged. Brokers take a commit from outside a
    /// group only while it has no members (librdkafka's mock, only from a group nobody ever joined).
    /// Partitions never committed are committed at their first offset, with their outputs' first
    /// offsets as the place to read back from: what an assignment of a never-committed partition
    /// does. Then the partitions are taken as a member takes an assignment (``ConsumerTracker/take(_:_:)``).
    ///
    /// Should a member join later, this consumer's next commit is refused and the drain stops
    /// there (``joinedMeanwhile(_:group:topic:)``): the member reads on from that commit.
    static func claimAlone(_ handle: KafkaHandle, tracker: ConsumerTracker, group: String, brokers: String) -> Bool {
        let topic = tracker.topic
        do {
            let count = try KafkaMetadata.partitionCount(handle, topic: topic, timeoutMilliseconds: 10_000, brokers: brokers)
            let list = rd_kafka_topic_partition_list_new(count)!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in 0..<count { rd_kafka_topic_partition_list_add(list, topic, partition) }
            let read = rd_kafka_committed(handle.pointer, list, KafkaOffsets.groupTimeoutMilliseconds)
            guard read == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(read, context: "cannot read its positions") }
            let elements = UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
            for index in elements.indices {
                let partition = elements[index].partition
                guard elements[index].err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(elements[index].err, context: "cannot read the position of partition \(partition)")
                }
                guard elements[index].offset < 0 else { continue }
                elements[index].offset = try firstOffset(handle, topic: topic, partition: partition)
                guard !tracker.outputs.isEmpty else { continue }
                var starts: [TopicPartition: Int64] = [:]
                for output in tracker.outputs {
                    starts[TopicPartition(output, partition)] = try firstOffset(handle, topic: output, partition: partition)
                }
                free(elements[index].metadata)
                elements[index].metadata = nil
                let published = (ConsumerTracker.publishedKey, PublishedLedger.encode(starts))
                ConsumerTracker.attach(ConsumerTracker.encode([], always: published), to: elements.baseAddress! + index)
            }
            let probe = rd_kafka_commit(handle.pointer, list, 0)
            guard probe == RD_KAFKA_RESP_ERR_NO_ERROR else {
                KafkaLogging.logger.debug(
                    "group \(group) has members (\(String(cString: rd_kafka_err2str(probe)))): this drain joins it")
                return false
            }
            tracker.take(list, handle.pointer)
            let assigned = rd_kafka_assign(handle.pointer, list)
            guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(assigned, context: "cannot take its partitions") }
            KafkaLogging.logger.debug("group \(group) has no members: this drain reads all \(count) partitions of \(topic) alone")
            return true
        } catch {
            KafkaLogging.logger.debug("group \(group): \(error); this drain joins the group")
            return false
        }
    }

    private static func firstOffset(_ handle: KafkaHandle, topic: String, partition: Int32) throws -> Int64 {
        try KafkaOffsets.watermarks(handle, topic: topic, partition: partition, timeoutMilliseconds: 10_000).low
    }

    /// A commit of a drain that reads alone was refused: a member has joined the group since.
    static func joinedMeanwhile(_ error: rd_kafka_resp_err_t, group: String, topic: String) -> KafkaError {
        KafkaError(
            error,
            context:
                "group \(group) gained a member while this drain read \(topic) alone; the drain stops at its last commit, from where the member reads on (run the drain again once the member has left, or let the member drain it)"
        )
    }
}
