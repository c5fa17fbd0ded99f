import CRdKafka
import Glibc
import StockpipeCore
import Synchronization

/// librdkafka's in-process mock cluster: real brokers speaking the Kafka protocol on loopback
/// ports, for tests and offline demos (`stockpipe dev kafka`). It keeps data in memory, a few
/// MiB per partition at most, and has no Admin API: topics are created through it directly.
public final class KafkaMockCluster: Sendable {
    private let host: KafkaHandle
    private let cluster: KafkaHandle
    /// `host:port,...` of its brokers, for `--brokers`.
    public let bootstrapServers: String
    /// Sockets bound to the ports of brokers that are down, by broker id (see ``setBroker(_:up:)``).
    private let reserved = Mutex<[Int32: Int32]>([:])

    public init(brokers: Int32 = 3) throws {
        let conf = try KafkaConfiguration(["log_level": "3"]).makeConf()
        host = try KafkaHandle.make(RD_KAFKA_PRODUCER, conf: conf, brokers: "mock")
        guard let cluster = rd_kafka_mock_cluster_new(host.pointer, Int32(brokers)) else {
            rd_kafka_destroy(host.pointer)
            throw KafkaError("cannot start a mock Kafka cluster")
        }
        self.cluster = KafkaHandle(cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32) throws {
        let error = rd_kafka_mock_topic_create(cluster.pointer, name, partitions, replicationFactor)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "cannot create mock topic \(name)") }
    }

    /// Takes a broker down (it closes its connections and refuses new ones) or brings it back.
    ///
    /// A broker that is down has closed its listening socket, and librdkafka aborts the process
    /// if the port is not free when the broker listens again (`mrkb->listen_s != -1`); another
    /// connection's local port once took it in a test run. So while the broker is down its port is
    /// held by a socket that is bound but does not listen: connections to it are still refused,
    /// and the kernel gives the port to no outgoing connection.
    public func setBroker(_ id: Int32, up: Bool) {
        if up {
            if let socket = reserved.withLock({ $0.removeValue(forKey: id) }) { Glibc.close(socket) }
            _ = rd_kafka_mock_broker_set_up(cluster.pointer, id)
        } else {
            _ = rd_kafka_mock_broker_set_down(cluster.pointer, id)
            guard let port = port(of: id), let socket = Self.reserve(port) else { return }
            reserved.withLock { $0[id] = socket }
        }
    }

    /// Whether the port of broker `id`, which is down, is held for it.
    func holdsPort(of id: Int32) -> Bool { reserved.withLock { $0[id] != nil } }

    /// The port of broker `id` (brokers are numbered from 1, in the order of the bootstrap list).
    private func port(of id: Int32) -> UInt16? {
        let servers = bootstrapServers.split(separator: ",")
        guard id >= 1, Int(id) <= servers.count, let colon = servers[Int(id) - 1].lastIndex(of: ":") else { return nil }
        return UInt16(servers[Int(id) - 1][servers[Int(id) - 1].index(after: colon)...])
    }

    /// A TCP socket bound to 127.0.0.1:`port` without listening; nil if the port cannot be had.
    private static func reserve(_ port: UInt16) -> Int32? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(socket)
            return nil
        }
        return socket
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
        for socket in reserved.withLock({ $0.values }) { Glibc.close(socket) }
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        rd_kafka_destroy(host.pointer)
    }
}
