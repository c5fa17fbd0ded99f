import Logging
import NIOCore

/// Cassandra through one connection at a time, chosen from several contact points: when a node
/// goes away the next request connects to another (or the same, once it is back). Statements
/// marked idempotent are tried again after a lost connection, a timeout, or an error a retry can
/// fix (unavailable, overloaded, timeouts); others fail at once, since they may have been applied.
/// Prepared statements are prepared again on each new connection, and when a node forgot them.
public actor CQLClient {
    public struct Configuration: Sendable {
        /// `host:port` pairs, tried in order from the last one that worked.
        public var contactPoints: [(host: String, port: Int)]
        public var username: String?
        public var password: String?
        public var connectTimeout: Duration = .seconds(5)
        public var requestTimeout: Duration = .seconds(12)
        /// Further attempts for an idempotent statement.
        public var retries = 3

        public init(contactPoints: [(host: String, port: Int)]) {
            self.contactPoints = contactPoints
        }

        /// `host:port,host:port`; a missing port is 9042.
        public static func parse(_ text: String) throws(CQLProtocolError) -> [(host: String, port: Int)] {
            let points = try text.split(separator: ",").map { item throws(CQLProtocolError) -> (host: String, port: Int) in
                let parts = item.trimmingCharacters(in: .whitespaces).split(separator: ":")
                guard let host = parts.first, !host.isEmpty, parts.count <= 2,
                      let port = parts.count == 2 ? Int(parts[1]) : 9042, (1...65_535).contains(port) else {
                    throw CQLProtocolError("contact points must be host:port,... — \"\(item)\" is not")
                }
                return (String(host), port)
            }
            guard !points.isEmpty else { throw CQLProtocolError("no contact points given") }
            return points
        }
    }

    public let configuration: Configuration
    private var connection: CQLConnection?
    private var preferred = 0
    private var prepared: [String: (id: [UInt8], variables: [CQLColumn])] = [:]
    let logger = Logger(label: "stockpipe.cql")

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// The negotiated protocol version, connecting if needed.
    public func version() async throws -> ProtocolVersion { try await current().version }

    public func query(_ cql: String, consistency: Consistency = .one, idempotent: Bool) async throws -> CQLResult {
        try await withRetries(idempotent: idempotent) { connection in try await connection.query(cql, consistency: consistency) }
    }

    /// Prepares `cql` on the current node (once per connection) and executes it with `values`.
    public func execute(_ cql: String, _ values: [CQLValue], consistency: Consistency = .one, idempotent: Bool) async throws -> CQLResult {
        try await withRetries(idempotent: idempotent) { connection in
            let statement = try await self.statement(cql, on: connection)
            do {
                return try await connection.execute(statement.id, values, consistency: consistency)
            } catch let error as CQLServerError {
                guard case .unprepared = error.kind else { throw error }
                self.forget(cql)
                let again = try await self.statement(cql, on: connection)
                return try await connection.execute(again.id, values, consistency: consistency)
            }
        }
    }

    public func close() async {
        try? await connection?.close()
        connection = nil
    }

    private func statement(_ cql: String, on connection: CQLConnection) async throws -> (id: [UInt8], variables: [CQLColumn]) {
        if let known = prepared[cql] { return known }
        let statement = try await connection.prepare(cql)
        prepared[cql] = statement
        return statement
    }

    private func forget(_ cql: String) { prepared[cql] = nil }

    private func withRetries<T: Sendable>(idempotent: Bool, _ operation: (CQLConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            let connection = try await current()
            do {
                return try await operation(connection)
            } catch {
                let lostConnection = error is CQLConnectionError || error is ChannelError
                let retryable = lostConnection || (error as? CQLServerError)?.isRetryable == true
                if lostConnection { drop(connection) }
                guard idempotent, retryable, attempt < configuration.retries else { throw error }
                attempt += 1
                logger.warning("Cassandra request failed (\(error)); attempt \(attempt + 1) of \(configuration.retries + 1)")
                try await Task.sleep(for: .milliseconds(100 * (1 << min(attempt, 6))))
            }
        }
    }

    private func drop(_ failed: CQLConnection) {
        guard connection === failed else { return }
        connection = nil
        prepared.removeAll()
        Task { try? await failed.close() }
    }

    /// The open connection, or a new one to the first contact point that answers.
    private func current() async throws -> CQLConnection {
        if let connection { return connection }
        var problems: [String] = []
        let points = configuration.contactPoints
        for offset in points.indices {
            let index = (preferred + offset) % points.count
            let point = points[index]
            do {
                let opened = try await CQLConnection.connect(
                    host: point.host, port: point.port, username: configuration.username, password: configuration.password,
                    timeout: configuration.connectTimeout, requestTimeout: configuration.requestTimeout)
                preferred = index
                connection = opened
                prepared.removeAll()
                return opened
            } catch {
                problems.append("\(point.host):\(point.port): \(error)")
            }
        }
        throw CQLConnectionError.handshakeFailed("no contact point answered (" + problems.joined(separator: "; ") + ")")
    }
}
