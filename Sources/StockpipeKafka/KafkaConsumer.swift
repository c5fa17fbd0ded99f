import CRdKafka
import Foundation
import StockpipeCore
import Synchronization

/// A member of a consumer group on one topic, with manual commits.
///
/// Partitions are shared out by cooperative rebalancing. Each commit can carry, per partition, the
/// state of the record keys on that partition (as commit metadata), so that when a partition moves
/// to another member its state goes with it: see ``takeResumedState()``.
///
/// A consumer made for a drain (`draining`) reads every partition alone while the group has no
/// members, committing as a member would (see ``claimAlone(_:tracker:group:brokers:)``).
public final class KafkaConsumer: Sendable {
    public let topic: String
    public let group: String
    let brokers: String
    let configuration: KafkaConfiguration
    /// How long the drain claim of a drain that died keeps others waiting (see ``KafkaClaim``).
    let claimLease: Duration
    /// Held while this drain reads alone.
    let drainClaim = Mutex<KafkaClaim?>(nil)
    let handle: KafkaHandle
    /// A client of the same group that never joins it: the member's own requests for committed
    /// offsets wait behind its group protocol (seconds during a rebalance), this one's do not.
    let offsetsClient: KafkaHandle
    let tracker: ConsumerTracker
    let paused = SharedFlag(false)
    /// Polls, and the rebalances they trigger, happen on one thread...
    let pollThread: BlockingThread
    /// ...commits and offset queries on another, so that neither waits for the other.
    private let commitThread: BlockingThread

    public static let defaults: [String: String] = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.partition.eof": "false",
        // librdkafka stops fetching once this many records wait in the consumer's queue, and after
        // that waits up to a second to fetch again (seen: 140,000 of 200,000 records read, then
        // nothing for 0.8 s). A stage takes 8,192 records a poll, more slowly than brokers send
        // them, so the default 100,000 stalled every drain. What bounds the queue is then...
        "queued.min.messages": "1000000",
        // ...its size, which librdkafka 2.0 applies to each partition's queue, not to the whole
        // consumer: with its 64 MiB a consumer's memory grew with its partitions and its lag (a
        // drain of 600,000 records on 24 partitions peaked at 356 MB in validate, 424 MB in
        // load; with 32 MiB 328 MB and 294 MB, as fast). A container's limit is then about
        // 90 MB plus 32 MiB per partition it reads (docs/operations.md, Kubernetes).
        "queued.max.messages.kbytes": "32768",
        // A fetch that finds nothing new waits this long for records; brokers answer as soon as
        // some arrive, but librdkafka's mock always waits it out, so a live stage that had caught
        // up saw each new record 0.5 s late at each hop (ingest-to-store p99 about 1 s at 10,000
        // trades/s; 0.1-0.25 s with 50 ms). Against a broker it only makes an idle consumer ask
        // 20 times a second instead of twice.
        "fetch.wait.max.ms": "50",
    ]

    /// - Parameters:
    ///   - outputs: the topics this member publishes each record it reads to, on the record's
    ///     partition number; after a restart or a rebalance it reads back what it published after
    ///     the last commit of each partition it gets, so as not to publish it twice.
    ///   - draining: for a run that ends once the topic is drained: while the group has no
    ///     members, the consumer takes every partition itself instead of joining (see
    ///     ``claimAlone(_:tracker:group:brokers:)``).
    ///   - claimLease: how long a drain that died keeps other drains of its group waiting.
    public init(
        _ configuration: KafkaConfiguration, group: String, topic: String, outputs: [String] = [], draining: Bool = false,
        claimLease: Duration = .seconds(10)
    ) throws {
        var properties = Self.defaults
        properties.merge(configuration.properties(for: .consumer)) { _, given in given }
        properties["group.id"] = group
        let conf = try KafkaConfiguration(properties).makeConf()
        let tracker = ConsumerTracker(topic: topic, outputs: outputs, configuration: configuration)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(tracker).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf) { handle, error, partitions, opaque in
            guard let handle, let partitions, let opaque else { return }
            Unmanaged<ConsumerTracker>.fromOpaque(opaque).takeUnretainedValue()
                .rebalance(handle, error, partitions)
        }
        self.topic = topic
        self.group = group
        brokers = configuration.brokers
        self.configuration = configuration
        self.claimLease = claimLease
        self.tracker = tracker
        offsetsClient = try GroupOffsets.client(configuration, group: group)
        do {
            handle = try KafkaHandle.make(RD_KAFKA_CONSUMER, conf: conf, brokers: configuration.brokers)
        } catch {
            rd_kafka_destroy(offsetsClient.pointer)
            throw error
        }
        pollThread = BlockingThread(name: "poll \(group)")
        commitThread = BlockingThread(name: "commit \(group)")
        rd_kafka_poll_set_consumer(handle.pointer)
        guard !draining else { return }  // the first poll decides
        tracker.readsAlone = false
        do {
            try Self.subscribe(handle, group: group, topic: topic)
        } catch {
            rd_kafka_destroy(handle.pointer)
            rd_kafka_destroy(offsetsClient.pointer)
            throw error
        }
    }

    static func subscribe(_ handle: KafkaHandle, group: String, topic: String) throws {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        let error = rd_kafka_subscribe(handle.pointer, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(error, context: "cannot subscribe group \(group) to \(topic)")
        }
    }

    /// Whether this consumer took every partition itself, outside its group, for a drain; `nil`
    /// before its first poll.
    public var readsAlone: Bool? { tracker.readsAlone }

    /// Waits up to `timeout` for records; fewer than `maxRecords` when no more are ready.
    public func poll(maxRecords: Int, timeout: Duration) async throws -> [ConsumedRecord] {
        let milliseconds = Int32(clamping: timeout.milliseconds)
        return try await pollThread.run { [self, handle, tracker, topic, group] in
            if tracker.readsAlone == nil, try !decideAlone(waiting: milliseconds) { return [] }
            var records = tracker.takeHeld()
            var wait = records.isEmpty ? milliseconds : 0
            while records.count < maxRecords, let message = rd_kafka_consumer_poll(handle.pointer, wait) {
                wait = 0
                defer { rd_kafka_message_destroy(message) }
                let error = message.pointee.err
                if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                    if let fatal = Self.fatal(error, topic: topic) { throw fatal }
                    if error == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET {
                        KafkaLogging.logger.warning(
                            "group \(group) skipped records of \(topic) partition \(message.pointee.partition) that retention removed before it read them"
                        )
                    }
                    continue
                }
                records.append(Self.record(message, topic: topic))
            }
            tracker.polled(records)
            return records
        }
    }

    /// Commits everything polled up to and including `last`, with each partition's share of `state`.
    /// A commit refused because the group rebalanced is not an error: a partition that moved is
    /// read again by its new owner (every write downstream is idempotent), and the positions of
    /// partitions this consumer kept go with its next commit or ``commitAgain()``.
    public func commit(through last: ConsumedRecord, state: [String: String]?) async throws {
        try await commit(through: last, state: state, held: [:])
    }

    /// `held`: the look backs the batch left held (see ``ConsumerTracker/unpublished(_:)``).
    func commit(through last: ConsumedRecord, state: [String: String]?, held: [TopicPartition: Int64]) async throws {
        try await commitThread.run { [handle, tracker, group] in
            let list = tracker.commitList(through: last, state: state, held: held)
            defer {
                rd_kafka_topic_partition_list_destroy(list)
                tracker.commitFinished()
            }
            try Self.commit(list, handle: handle, tracker: tracker, group: group)
        }
    }

    /// Commits again the positions a rebalance refused, on partitions still owned. A stage that
    /// has read everything calls it while it waits: the last batch's commit may be one of them,
    /// and without it the group's lag would never reach zero.
    public func commitAgain() async throws {
        try await commitThread.run { [handle, tracker, group] in
            let list = tracker.refusedList()
            defer { rd_kafka_topic_partition_list_destroy(list) }
            try Self.commit(list, handle: handle, tracker: tracker, group: group)
        }
    }

    private static func commit(
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, handle: KafkaHandle,
        tracker: ConsumerTracker, group: String
    ) throws {
        guard list.pointee.cnt > 0 else { return }
        // A coordinator that is away (its broker restarting) or has moved is waited for: librdkafka
        // gives a commit up after `session.timeout.ms` without one, or at once outside a group.
        let error = KafkaOffsets.askingAgainWhileTransient(KafkaOffsets.groupTimeoutMilliseconds) { _ in
            rd_kafka_commit(handle.pointer, list, 0)
        }
        guard error != RD_KAFKA_RESP_ERR_NO_ERROR else {
            tracker.committed(list)
            return
        }
        let failure = KafkaError(error, context: "cannot commit the position of group \(group)")
        guard failure.isStaleGeneration else { throw failure }
        if tracker.readsAlone == true { throw Self.joinedMeanwhile(error, group: group, topic: tracker.topic) }
        tracker.refused(list)
        KafkaLogging.logger.debug("group \(group): a rebalance refused a commit; it is made again once the group settles")
    }

    /// State committed with the partitions assigned since the last call.
    public func takeResumedState() -> [String: String] {
        tracker.takeResumedState()
    }

    /// Records of the topic not yet committed by the group: the sum over partitions of the high
    /// watermark less the committed offset (or the low watermark, where nothing is committed).
    public func lag(timeout: Duration = .seconds(10)) async throws -> Int64 {
        let milliseconds = Int32(clamping: timeout.milliseconds)
        return try await commitThread.run { [handle = offsetsClient, topic, group, brokers] in
            let partitions = try KafkaMetadata.partitionCount(
                handle, topic: topic, timeoutMilliseconds: milliseconds,
                brokers: brokers)
            let committed = try KafkaOffsets.committed(
                handle, topic: topic, partitions: partitions, group: group,
                timeoutMilliseconds: milliseconds)
            var lag: Int64 = 0
            for partition in 0..<partitions {
                let (low, high) = try KafkaOffsets.watermarks(
                    handle, topic: topic, partition: partition,
                    timeoutMilliseconds: milliseconds)
                let position = committed[partition].map { $0.offset >= 0 ? $0.offset : low } ?? low
                lag += max(0, high - max(position, low))
            }
            return lag
        }
    }

    /// Leaves the group (handing its partitions over at once) and releases the client.
    ///
    /// A member caught between joining the group and its first assignment is given up to
    /// `assignmentTimeout` to receive it first: see ``releasable(_:tracker:within:)``. The rest
    /// of the close is given `closeTimeout`: librdkafka 2.0 can wait without end while it closes
    /// (its issue 3740; seen with brokers that do not answer, and on the mock cluster while its
    /// group rebalanced), and a stage that stops must not hang there.
    /// - Returns: whether the librdkafka client was released (`false` when either wait ran out).
    @discardableResult
    public func close(assignmentTimeout: Duration = .seconds(10), closeTimeout: Duration = .seconds(30)) async -> Bool {
        tracker.close()
        let deadline = ContinuousClock.now + assignmentTimeout + closeTimeout
        defer {
            pollThread.stop()
            commitThread.stop()
        }
        let offsetsReleased = await commitThread.run(until: deadline) { [offsetsClient] in
            rd_kafka_destroy(offsetsClient.pointer)
            return true
        }
        let claimReleased = await pollThread.run(until: deadline) { [self] in
            drainClaim.withLock { claim in
                defer { claim = nil }
                return claim
            }?.release()
            return true
        }
        var closed: Bool?
        if offsetsReleased != nil && claimReleased != nil {
            closed = await pollThread.run(until: deadline) { [handle, tracker, group] in
                let releasable = Self.releasable(handle, tracker: tracker, within: assignmentTimeout)
                _ = rd_kafka_consumer_close(handle.pointer)
                if releasable {
                    rd_kafka_destroy(handle.pointer)
                } else {
                    KafkaLogging.logger.warning(
                        "group \(group): no assignment came within \(assignmentTimeout) of joining; the client is left open rather than destroyed, which would abort the process (librdkafka 2.0 issue 4312)"
                    )
                }
                return releasable
            }
        }
        guard let closed else {
            KafkaLogging.logger.warning(
                "group \(group): the consumer had not closed \(closeTimeout) after it was asked to (librdkafka 2.0 can wait without end while closing, its issue 3740); it is left behind, and the group moves its partitions when the member's session times out"
            )
            return false
        }
        return closed
    }
}
