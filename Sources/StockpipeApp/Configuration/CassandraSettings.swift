import StockpipeCQL
import StockpipeCassandra
import StockpipeCore

/// The Cassandra store's settings: `contact-points` and `cassandra.*`.
///
/// ```yaml
/// store: cassandra
/// contact-points: cassandra-1:9042,cassandra-2
/// cassandra:
///   keyspace: stock_data
///   consistency: local_quorum
/// ```
public struct CassandraSettings: BackendSettings {
    /// Cassandra nodes, `host:port,...` (port 9042 if left out).
    public var contactPoints: String?
    public var keyspace = "stock_data"
    /// `SimpleStrategy:3` or `NetworkTopologyStrategy:dc1=3,dc2=3`; used by `schema create`.
    public var replication = "SimpleStrategy:3"
    public var consistency = "local_quorum"
    /// How long rows live, in milliseconds; nil keeps them.
    public var ttl: Int64?
    public var quarantineTTL: Int64?
    public var username: String?
    /// `STOCKPIPE_CASSANDRA_PASSWORD`, or `cassandra.password` in the file.
    public var password: String?
    public var tls = false
    public var caCertificate: String?

    public init() {}

    public static let keys = [
        "contact-points", "cassandra.keyspace", "cassandra.replication", "cassandra.consistency", "cassandra.ttl",
        "cassandra.quarantine-ttl", "cassandra.username", "cassandra.password", "cassandra.tls", "cassandra.ca-certificate",
    ]

    public mutating func apply(key: String, value: SettingValue) throws -> Bool {
        switch key {
        case "contact-points": contactPoints = try value.nonEmpty("Cassandra nodes, like cassandra-1:9042,cassandra-2")
        case "cassandra.keyspace": keyspace = try value.nonEmpty("a keyspace name, like stock_data")
        case "cassandra.replication": replication = try value.nonEmpty("SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M")
        case "cassandra.consistency": consistency = try value.nonEmpty("a consistency level, like local_quorum")
        case "cassandra.ttl":
            let ttl = try value.duration(SettingLimits.cassandraTTL, orZero: true, "a duration between 1s and 7300d, like 90d, or 0 to keep rows")
            self.ttl = ttl == 0 ? nil : ttl
        case "cassandra.quarantine-ttl":
            let ttl = try value.duration(SettingLimits.cassandraTTL, orZero: true, "a duration between 1s and 7300d, like 30d, or 0 to keep rows")
            quarantineTTL = ttl == 0 ? nil : ttl
        case "cassandra.username": username = value.text.isEmpty ? nil : value.text
        case "cassandra.password": password = value.text
        case "cassandra.tls": tls = try value.flag()
        case "cassandra.ca-certificate": caCertificate = try value.nonEmpty("a PEM file")
        default: return false
        }
        return true
    }

    public func validate() throws {
        _ = try configuration
    }

    public func summary(dataDirectory: String) -> String {
        "Cassandra at \(contactPoints ?? "") (keyspace \(keyspace), replication \(replication), consistency \(consistency))"
    }

    /// The Cassandra store's settings, checked: each mistake is named with how to fix it.
    public var configuration: CassandraConfiguration {
        get throws {
            guard let contactPoints, !contactPoints.isEmpty else {
                throw UserError("--store cassandra needs --contact-points host:port,... (Cassandra nodes, port 9042 if left out)")
            }
            var configuration: CassandraConfiguration
            do {
                configuration = CassandraConfiguration(contactPoints: try CQLClient.Configuration.parse(contactPoints))
            } catch {
                throw UserError("--contact-points: \(error)")
            }
            guard CassandraConfiguration.isValidKeyspace(keyspace) else {
                throw UserError("cassandra.keyspace must be a letter then letters, digits or _ (48 at most), not '\(keyspace)'")
            }
            configuration.keyspace = keyspace
            guard let parsedReplication = CassandraConfiguration.Replication(replication) else {
                throw UserError("cassandra.replication must be SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M, not '\(replication)'")
            }
            configuration.replication = parsedReplication
            guard let level = CassandraConfiguration.consistency(named: consistency) else {
                throw UserError(
                    "cassandra.consistency must be one of one, two, three, quorum, all, local_quorum, each_quorum, local_one, any; "
                        + "not '\(consistency)'")
            }
            configuration.consistency = level
            // Cassandra refuses TTLs over 20 years.
            let longest: Int64 = 630_720_000
            for (name, given) in [("cassandra.ttl", ttl), ("cassandra.quarantine-ttl", quarantineTTL)] {
                if let given, given / 1_000 > longest || given < 1_000 {
                    throw UserError("\(name) must be between 1s and 7300d (Cassandra's longest), or 0 to keep rows")
                }
            }
            configuration.ttl = ttl.map { Int($0 / 1_000) }
            configuration.quarantineTTL = quarantineTTL.map { Int($0 / 1_000) }
            configuration.username = username
            configuration.password = password
            if tls || caCertificate != nil {
                do {
                    configuration.tls = try CassandraConfiguration.tls(caCertificate: caCertificate)
                } catch {
                    throw UserError("cannot use cassandra.ca-certificate \(caCertificate ?? ""): \(error); give a PEM file")
                }
            }
            return configuration
        }
    }
}
