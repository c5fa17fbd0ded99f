import CRdKafka
import StockpipeCore
import Synchronization

/// librdkafka's in-process mock cluster: real brokers speaking the Kafka protocol on loopback
/// ports, for tests and offline demos (`stockpipe dev kafka`). It keeps data in memory, a few
/// MiB per partition at most, and has no Admin API: topics are created through it directly. Its
/// connections answer without Nagle's delay, as a broker's do (see ``MockConnectionTuner``).
public final class KafkaMockCluster: Sendable {
    private let host: KafkaHandle
    private let cluster: KafkaHandle
    private let tuner: MockConnectionTuner
    /// `host:port,...` of its brokers, for `--brokers`.
    public let bootstrapServers: String

    /// Held while a cluster binds its brokers' ports, while a broker goes down or up, and while
    /// this process starts a child (``startingProcess(_:)``). A broker taken down closes its
    /// listening socket and binds the same port again at once, and librdkafka aborts the process
    /// when that fails ("Address already in use", then `mrkb->listen_s != -1`), as CI did twice.
    /// The cause: a child being started holds a copy of every descriptor of this process until it
    /// execs, the listening socket included, so the close does not free the port.
    private static let ports = Mutex(())

    /// Starts a child process (runs `start`, which calls `Process.run()`) while no broker of a
    /// mock cluster in this process goes down or up. Whatever starts processes beside mock
    /// clusters (the test suite) starts them through this.
    ///
    /// ```swift
    /// try KafkaMockCluster.startingProcess { try process.run() }
    /// ```
    ///
    /// Reproduced in C with librdkafka 2.0.2: one thread calling `posix_spawn` in a loop makes the
    /// first `rd_kafka_mock_broker_set_down` abort; without it, 1,000 downs and ups pass.
    public static func startingProcess(_ start: () throws -> Void) throws {
        try ports.withLock { _ in try start() }
    }

    public init(brokers: Int32 = 3) throws {
        // The mock aborts the process when a broker taken down cannot open its listener again.
        OpenFileLimit.raiseToHardLimit()
        let conf = try KafkaConfiguration(["log_level": "3"]).makeConf()
        host = try KafkaHandle.make(RD_KAFKA_PRODUCER, conf: conf, brokers: "mock")
        let client = host
        let made = Self.ports.withLock { _ in rd_kafka_mock_cluster_new(client.pointer, Int32(brokers)).map(KafkaHandle.init) }
        guard let cluster = made?.pointer else {
            rd_kafka_destroy(host.pointer)
            throw KafkaError("cannot start a mock Kafka cluster")
        }
        self.cluster = KafkaHandle(cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        tuner = MockConnectionTuner(bootstrapServers: bootstrapServers)
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32) throws {
        let error = rd_kafka_mock_topic_create(cluster.pointer, name, partitions, replicationFactor)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "cannot create mock topic \(name)") }
    }

    /// Takes a broker down (it closes its connections and refuses new ones) or brings it back.
    public func setBroker(_ id: Int32, up: Bool) {
        Self.ports.withLock { _ in
            _ = up ? rd_kafka_mock_broker_set_up(cluster.pointer, id) : rd_kafka_mock_broker_set_down(cluster.pointer, id)
        }
    }

    /// Delays each answer of broker `id` by `milliseconds` (0: none), as a distant or overloaded broker would.
    public func setRoundTrip(broker id: Int32, milliseconds: Int32) {
        _ = rd_kafka_mock_broker_set_rtt(cluster.pointer, id, milliseconds)
    }

    public func setLeader(topic: String, partition: Int32, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, broker)
    }

    /// The next `count` offset commits, from any client, are answered as if the group were
    /// rebalancing (REBALANCE_IN_PROGRESS), as a real coordinator answers one sent mid-rebalance.
    public func refuseNextCommits(_ count: Int) {
        failNext(count, requests: 8, with: RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    }

    /// The next `count` offset queries (ListOffsets) are answered NOT_LEADER_FOR_PARTITION, as
    /// while leaders move.
    public func refuseNextOffsetQueries(_ count: Int) {
        failNext(count, requests: 2, with: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    }

    /// The next `count` SyncGroup requests are answered REBALANCE_IN_PROGRESS: members that join
    /// get no assignment and join again, as while a group keeps rebalancing.
    public func refuseNextGroupSyncs(_ count: Int) {
        failNext(count, requests: 14, with: RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    }

    private func failNext(_ count: Int, requests apiKey: Int16, with error: rd_kafka_resp_err_t) {
        let errors = [rd_kafka_resp_err_t](repeating: error, count: count)
        rd_kafka_mock_push_request_errors_array(cluster.pointer, apiKey, count, errors)
    }

    public func close() {
        tuner.stop()
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        rd_kafka_destroy(host.pointer)
    }
}
