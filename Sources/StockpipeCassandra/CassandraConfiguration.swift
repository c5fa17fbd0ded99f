import NIOSSL
import StockpipeCQL
import StockpipeCore

/// How the Cassandra store reaches its cluster and what it writes there.
///
/// ```yaml
/// store: cassandra
/// contact-points: cass1:9042,cass2:9042
/// cassandra:
///   keyspace: stock_data
///   replication: NetworkTopologyStrategy:dc1=3,dc2=3
///   consistency: local_quorum
///   ttl: 90d
/// ```
public struct CassandraConfiguration: Sendable {
    public var contactPoints: [(host: String, port: Int)]
    public var keyspace = "stock_data"
    public var replication = Replication.simple(3)
    /// For every read and write: with RF 3, LOCAL_QUORUM reads see LOCAL_QUORUM writes.
    public var consistency = Consistency.localQuorum
    /// Seconds trades, candles, quotes and per-day counts live; nil keeps them.
    public var ttl: Int?
    /// Seconds quarantined records (and their counts) live; nil keeps them.
    public var quarantineTTL: Int?
    public var username: String?
    public var password: String?
    public var tls: TLSConfiguration?

    public init(contactPoints: [(host: String, port: Int)]) {
        self.contactPoints = contactPoints
    }

    /// Where the keyspace's replicas go.
    public enum Replication: Sendable, Equatable, CustomStringConvertible {
        case simple(Int)
        /// Replicas per data centre.
        case networkTopology([(String, Int)])

        public static func == (a: Replication, b: Replication) -> Bool { a.description == b.description }

        /// `SimpleStrategy:3`, or `NetworkTopologyStrategy:dc1=3,dc2=2`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count) {
            case ("SimpleStrategy", 2):
                guard let factor = Int(parts[1]), (1...100).contains(factor) else { return nil }
                self = .simple(factor)
            case ("NetworkTopologyStrategy", 2):
                var centres: [(String, Int)] = []
                for item in parts[1].split(separator: ",") {
                    let pair = item.split(separator: "=").map(String.init)
                    guard pair.count == 2, !pair[0].isEmpty, pair[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }),
                        let factor = Int(pair[1]), (0...100).contains(factor)
                    else { return nil }
                    centres.append((pair[0], factor))
                }
                guard !centres.isEmpty else { return nil }
                self = .networkTopology(centres)
            default:
                return nil
            }
        }

        public var description: String {
            switch self {
            case .simple(let factor): "SimpleStrategy:\(factor)"
            case .networkTopology(let centres): "NetworkTopologyStrategy:" + centres.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            }
        }

        /// The CQL map literal; every part was checked to be a plain name or a number.
        var cql: String {
            switch self {
            case .simple(let factor): "{'class': 'SimpleStrategy', 'replication_factor': \(factor)}"
            case .networkTopology(let centres):
                "{'class': 'NetworkTopologyStrategy', " + centres.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
            }
        }
    }

    /// Keyspace names go into statement text, so only Cassandra's own name characters are allowed.
    public static func isValidKeyspace(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 48, first.properties.isAlphabetic, first.isASCII else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    /// `one`, `quorum`, `local_quorum`, ...
    public static func consistency(named name: String) -> Consistency? {
        let names: [String: Consistency] = [
            "any": .any, "one": .one, "two": .two, "three": .three, "quorum": .quorum, "all": .all,
            "local_quorum": .localQuorum, "each_quorum": .eachQuorum, "local_one": .localOne,
        ]
        return names[name.lowercased()]
    }

    var client: CQLClient.Configuration {
        var configuration = CQLClient.Configuration(contactPoints: contactPoints)
        configuration.username = username
        configuration.password = password
        configuration.tls = tls
        return configuration
    }
}

extension CassandraConfiguration {
    /// TLS that checks the server's certificate against the system's roots, or against the PEM
    /// file `caCertificate` (a cluster's own CA).
    public static func tls(caCertificate: String?) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificate {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate))
        }
        return tls
    }
}

extension CassandraConfiguration {
    /// A connection error in words an operator can act on.
    public static func explain(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's TLS certificate is not trusted; give the cluster's CA with cassandra.ca-certificate (\(text))"
        }
        return text
    }
}
