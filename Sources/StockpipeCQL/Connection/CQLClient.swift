import Logging
import NIOCore
import NIOSSL

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
        /// Encrypts every connection when set (the server's `client_encryption_options`).
        public var tls: TLSConfiguration?

        public init(contactPoints: [(host: String, port: Int)]) {
            self.contactPoints = contactPoints
        }

        /// `host:port,host:port`; a missing port is 9042.
        public static func parse(_ text: String) throws(CQLProtocolError) -> [(host: String, port: Int)] {
            let points = try text.split(separator: ",").map { item throws(CQLProtocolError) -> (host: String, port: Int) in
                let parts = item.trimmingCharacters(in: .whitespaces).split(separator: ":")
                guard let host = parts.first, !host.isEmpty, parts.count <= 2,
                    let port = parts.count == 2 ? Int(parts[1]) : 9042, (1...65_535).contains(port)
                else {
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
    private let tlsContext: NIOSSLContext?
    let logger = Logger(label: "stockpipe.cql")

    /// Throws only when the TLS configuration cannot be used (an unreadable certificate, say).
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        tlsContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
    }

    /// The negotiated protocol version, connecting if needed.
    public func version() async throws -> ProtocolVersion { try await current().version }

    public func query(_ cql: String, consistency: Consistency = .one, idempotent: Bool) async throws -> CQLResult {
        try await withRetries(idempotent: idempotent) { connection in try await connection.query(cql, consistency: consistency) }
    }

    /// Prepares `cql` on the current node (once per connection) and executes it with `values`.
    public func execute(_ cql: String, _ values: [CQLValue], consistency: Consistency = .one, idempotent: Bool) async throws -> CQLResult {
        try await withRetries(idempotent: idempotent) { connection in
            try await self.withPrepared([cql], on: connection) { ids in
                try await connection.execute(ids[0], values, consistency: consistency)
            }
        }
    }

    /// Runs a prepared SELECT and gathers its rows, a page at a time where the protocol pages
    /// (v2+), until `limit` rows are in or none are left. Each page is retried on its own.
    public func select(
        _ cql: String, _ values: [CQLValue], consistency: Consistency = .one, limit: Int = .max,
        pageSize: Int32 = 5_000
    ) async throws -> CQLRows {
        var gathered = CQLRows(columns: [], rows: [], pagingState: nil)
        var state: [UInt8]?
        repeat {
            let page = try await withRetries(idempotent: true) { connection in
                try await self.withPrepared([cql], on: connection) { ids in
                    let paging = connection.version.supportsPaging
                    return try await connection.execute(
                        ids[0], values, consistency: consistency,
                        pageSize: paging ? Int32(min(Int(pageSize), limit)) : nil,
                        pagingState: paging ? state : nil)
                }
            }
            guard case .rows(let rows) = page else { throw CQLProtocolError("a SELECT was answered without rows") }
            if gathered.columns.isEmpty { gathered.columns = rows.columns }
            gathered.rows.append(contentsOf: rows.rows.prefix(limit - gathered.rows.count))
            state = rows.pagingState
        } while state != nil && gathered.rows.count < limit
        return gathered
    }

    /// Prepared statements in one unlogged BATCH: for writes to one partition, one round trip and
    /// one mutation on the replicas. Needs protocol v2; ``supportsBatch`` says if the node has it.
    public func batch(
        _ statements: [(cql: String, values: [CQLValue])], consistency: Consistency = .one,
        idempotent: Bool
    ) async throws {
        _ = try await withRetries(idempotent: idempotent) { connection in
            try await self.withPrepared(statements.map(\.cql), on: connection) { ids in
                try await connection.batch(Array(zip(ids, statements.map(\.values))), unlogged: true, consistency: consistency)
            }
        }
    }

    /// Whether the connected node takes BATCH messages (protocol v2 and later).
    public func supportsBatch() async throws -> Bool { try await current().version.supportsBatch }

    /// Runs `operation` with the ids of `statements`, preparing what this connection has not, and
    /// once more after preparing again if the node answers that it forgot one.
    private func withPrepared(
        _ statements: [String], on connection: CQLConnection,
        _ operation: ([[UInt8]]) async throws -> CQLResult
    ) async throws -> CQLResult {
        var ids: [[UInt8]] = []
        for cql in statements { ids.append(try await statement(cql, on: connection).id) }
        do {
            return try await operation(ids)
        } catch let error as CQLServerError {
            guard case .unprepared = error.kind else { throw error }
            for cql in statements { forget(cql) }
            ids = []
            for cql in statements { ids.append(try await statement(cql, on: connection).id) }
            return try await operation(ids)
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
                let lostConnection = error is CQLConnectionError || error is ChannelError || error is IOError
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
                    tls: tlsContext,
                    timeout: configuration.connectTimeout, requestTimeout: configuration.requestTimeout)
                preferred = index
                connection = opened
                prepared.removeAll()
                return opened
            } catch {
                problems.append("\(point.host):\(point.port): \(ConnectFailure.words(error))")
            }
        }
        throw CQLConnectionError.handshakeFailed("no contact point answered (" + problems.joined(separator: "; ") + ")")
    }
}
