import NIOCore
import StockpipeCQL
import StockpipeCore

/// The store on Apache Cassandra, through stockpipe's own CQL client.
///
/// Cassandra has no transactions, so a write is ordered to be safe to repeat: trades first, then
/// the candles and per-day counts derived from them. Anything in doubt after a crash shows up
/// when the load stage delivers the batch again: its trades are found stored from the same
/// source, and the candles and counts they touch are computed again from the stored rows instead
/// of being added to.
///
/// ```swift
/// var configuration = CassandraConfiguration(contactPoints: [("127.0.0.1", 9042)])
/// configuration.replication = .simple(1)
/// _ = try await CassandraSchema.create(configuration)
/// let store = try await CassandraStore.open(configuration)
/// ```
public final class CassandraStore: Store {
    let client: CQLClient
    let configuration: CassandraConfiguration
    /// The negotiated protocol version: BATCH needs v2.
    let version: ProtocolVersion
    let cql: Statements
    /// One write at a time per process: per-day counts are read, added to and written back.
    let writes = SerialWrites()

    var consistency: Consistency { configuration.consistency }

    private init(client: CQLClient, configuration: CassandraConfiguration, version: ProtocolVersion) {
        self.client = client
        self.configuration = configuration
        self.version = version
        cql = Statements(keyspace: configuration.keyspace, ttl: configuration.ttl, quarantineTTL: configuration.quarantineTTL)
    }

    /// Connects and checks that `stockpipe schema create` has made every table.
    public static func open(_ configuration: CassandraConfiguration) async throws -> CassandraStore {
        let client = try CQLClient(configuration.client)
        do {
            let version = try await client.version()
            for table in CassandraSchema.tables {
                do {
                    _ = try await client.select(
                        "SELECT * FROM \(configuration.keyspace).\(table.name) LIMIT 1", [],
                        consistency: .one, limit: 1)
                } catch let error as CQLServerError where error.kind == .invalid {
                    throw CassandraStoreError.noSchema(keyspace: configuration.keyspace, table: table.name)
                }
            }
            return CassandraStore(client: client, configuration: configuration, version: version)
        } catch {
            await client.close()
            throw error
        }
    }

    public func close() async throws {
        await client.close()
    }

    /// The bounds of a time slice, nil when it is empty. Cassandra before 2.0 orders timestamps
    /// as unsigned numbers, so the open ends are 0 and Int64.max: times before 1970 are not
    /// told apart.
    static func slice(_ from: Int64?, _ to: Int64?) -> [CQLValue]? {
        let lower = max(0, from ?? 0)
        let upper = max(0, to ?? .max)
        return lower <= upper ? [.timestamp(lower), .timestamp(upper)] : nil
    }

    /// Runs a SELECT of at most `limit` rows (see ``Statements/scanLimit``).
    func select(_ statement: String, _ values: [CQLValue], limit: Int = Statements.scanLimit) async throws -> [CQLCells] {
        let rows = try await client.select(statement, values, consistency: consistency, limit: limit).cells
        if limit == Statements.scanLimit, rows.count == limit {
            throw CassandraStoreError.tooManyRows(limit)
        }
        return rows
    }

    /// Lost connections, timeouts and overloaded or unavailable replicas become
    /// ``StoreUnavailable``: the caller may write the batch again once the cluster is back.
    func unavailableIfTransient<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as CQLServerError where error.isRetryable {
            throw StoreUnavailable("\(error)")
        } catch let error where error is CQLConnectionError || error is ChannelError || error is IOError {
            throw StoreUnavailable("Cassandra: \(error)")
        }
    }

    /// Upserts, grouped: in unlogged BATCH messages where the protocol has them (v2+); on v1, runs
    /// of the same statement become one prepared `BEGIN UNLOGGED BATCH ... APPLY BATCH` statement
    /// (of 32, 16, ... 1 inserts, so few are prepared). Callers hand in one partition's writes, so
    /// each group is one mutation on the replicas. Every statement is safe to repeat, so each
    /// group is retried.
    func write(_ statements: [(cql: String, values: [CQLValue])]) async throws {
        guard !statements.isEmpty else { return }
        var groups: [(cql: String, values: [CQLValue])] = []
        var messages: [[(cql: String, values: [CQLValue])]] = []
        if version.supportsBatch {
            messages = stride(from: 0, to: statements.count, by: 64).map { Array(statements[$0..<min($0 + 64, statements.count)]) }
        } else {
            var start = 0
            while start < statements.count {
                var run = 1
                while start + run < statements.count, run < 32, statements[start + run].cql == statements[start].cql { run += 1 }
                let size = 1 << (Int.bitWidth - 1 - run.leadingZeroBitCount)  // the largest power of two <= run
                let chunk = statements[start..<start + size]
                groups.append(
                    size == 1
                        ? chunk.first!
                        : (
                            "BEGIN UNLOGGED BATCH " + String(repeating: chunk.first!.cql + "; ", count: size) + "APPLY BATCH",
                            chunk.flatMap(\.values)
                        ))
                start += size
            }
        }
        try await forEachConcurrently(messages, width: 8) { chunk in
            if chunk.count == 1 {
                _ = try await self.client.execute(chunk[0].cql, chunk[0].values, consistency: self.consistency, idempotent: true)
            } else {
                try await self.client.batch(chunk, consistency: self.consistency, idempotent: true)
            }
        }
        try await forEachConcurrently(groups, width: 32) { group in
            _ = try await self.client.execute(group.cql, group.values, consistency: self.consistency, idempotent: true)
        }
    }

    /// Upserts to one partition, applied all or none: one unlogged batch, which Cassandra applies
    /// to a single partition as one mutation.
    func writeAtomically(_ statements: [(cql: String, values: [CQLValue])]) async throws {
        guard let first = statements.first else { return }
        if statements.count == 1 {
            _ = try await client.execute(first.cql, first.values, consistency: consistency, idempotent: true)
        } else if version.supportsBatch {
            try await client.batch(statements, consistency: consistency, idempotent: true)
        } else {
            let cql = "BEGIN UNLOGGED BATCH " + statements.map { $0.cql + "; " }.joined() + "APPLY BATCH"
            _ = try await client.execute(cql, statements.flatMap(\.values), consistency: consistency, idempotent: true)
        }
    }
}

public enum CassandraStoreError: Error, CustomStringConvertible, Equatable {
    case noSchema(keyspace: String, table: String)
    case tooManyRows(Int)

    public var description: String {
        switch self {
        case .noSchema(let keyspace, let table):
            "Cassandra has no table \(keyspace).\(table)"
        case .tooManyRows(let limit):
            "a Cassandra read reached \(limit) rows in one go; narrow the time range"
        }
    }
}

/// Runs `body` for every item, at most `width` at a time.
func forEachConcurrently<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = items.makeIterator()
        for _ in 0..<width {
            guard let item = next.next() else { break }
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if let item = next.next() { group.addTask { try await body(item) } }
        }
    }
}

/// `transform` of every item, at most `width` at a time, in the items' order.
func mapConcurrently<T: Sendable, R: Sendable>(
    _ items: [T], width: Int,
    _ transform: @escaping @Sendable (T) async throws -> R
) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = items.enumerated().makeIterator()
        for _ in 0..<width {
            guard let (index, item) = next.next() else { break }
            group.addTask { (index, try await transform(item)) }
        }
        while let (index, result) = try await group.next() {
            results[index] = result
            if let (index, item) = next.next() { group.addTask { (index, try await transform(item)) } }
        }
        return results.map { $0! }
    }
}

/// Runs operations one after another, in the order they were handed in.
actor SerialWrites {
    private var tail: Task<Void, Never>?

    func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tail
        let task = Task {
            await previous?.value
            return try await operation()
        }
        tail = Task { _ = try? await task.value }
        return try await task.value
    }
}
