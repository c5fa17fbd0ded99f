import StockpipeCQL
import StockpipeCore

/// The keyspace and tables of the Cassandra store, created by `stockpipe schema create`.
///
/// Time-series tables are partitioned by (symbol, UTC day) so that a partition stays bounded and
/// a time range reads a few partitions in clustering order. A trade's identity is part of its
/// key, so two trades in the same millisecond are two rows, and a redelivered one the same row.
public enum CassandraSchema {
    // Lists (conditions, reasons) are kept as text: inserting a collection writes a range
    // tombstone, and Cassandra 1.2 rebuilds a partition's whole tombstone tree for each one, so
    // a day of trades slowed down quadratically.

    /// What `create` did to each object, for the operator.
    public struct Outcome: Sendable, Equatable {
        public var object: String
        public var created: Bool
    }

    static let tables: [(name: String, columns: String, clustering: String?, timeSeries: Bool)] = [
        (
            "trades",
            """
            symbol text, day text, ts timestamp, id blob, price double, volume double, conditions text, source_hash bigint,
            PRIMARY KEY ((symbol, day), ts, id)
            """, "ts DESC, id DESC", true
        ),
        (
            "candles_1m",
            """
            symbol text, day text, start timestamp, open double, high double, low double, close double,
            volume blob, notional blob, trades bigint, first_ts bigint, first_id blob, last_ts bigint, last_id blob,
            PRIMARY KEY ((symbol, day), start)
            """, "start DESC", true
        ),
        (
            "quotes",
            """
            symbol text, day text, received_at timestamp, ts bigint, current double, change double, percent_change double,
            high double, low double, open double, previous_close double,
            PRIMARY KEY ((symbol, day), received_at)
            """, nil, true
        ),
        (
            "quarantine",
            """
            day text, quarantined_at timestamp, source text, reasons text, payload blob, origin text,
            PRIMARY KEY (day, quarantined_at, source)
            """, "quarantined_at DESC, source ASC", true
        ),
        ("quarantine_sources", "source text PRIMARY KEY, day text, quarantined_at timestamp", nil, false),
        (
            "symbol_days",
            """
            symbol text, day text, trades bigint, candles bigint, backfilled bigint, quotes bigint,
            PRIMARY KEY (symbol, day)
            """, "day DESC", false
        ),
        // Per shard so that each has one writer: see CassandraStore.writeQuarantine.
        (
            "quarantine_counts",
            """
            shard text, day text, reason text, records bigint, read_through bigint, PRIMARY KEY (shard, day, reason)
            """, nil, false
        ),
        // What each minute brought to the store, per shard (a log partition) so that each has one
        // writer; the row of minute 0 holds the last offset the shard's counts include. See
        // CassandraStore.countQuality.
        (
            "quality_minutes",
            """
            shard text, minute timestamp, kind text, records bigint, read_through bigint, PRIMARY KEY (shard, minute, kind)
            """, nil, false
        ),
        ("quality_shards", "name text, shard text, PRIMARY KEY (name, shard)", nil, false),
        (
            "job_runs",
            """
            job text, started_at timestamp, scheduled_at timestamp, finished_at timestamp, attempts bigint, outcome text,
            detail text, trigger text, state text, PRIMARY KEY (job, started_at, scheduled_at)
            """, "started_at DESC, scheduled_at DESC", false
        ),
        (
            "quality_reports", "kind text, generated_at timestamp, report text, PRIMARY KEY (kind, generated_at)",
            "generated_at DESC", false
        ),
    ]

    /// Creates what is missing and leaves what exists (an existing keyspace keeps its replication).
    /// Uses `IF NOT EXISTS` where the server has it (2.0 and later) and otherwise takes "already
    /// exists" as done; time-series tables get the compaction the server's version does best.
    public static func create(_ configuration: CassandraConfiguration) async throws -> [Outcome] {
        let client = try CQLClient(configuration.client)
        do {
            let outcomes = try await create(configuration, client: client)
            await client.close()
            return outcomes
        } catch {
            await client.close()
            throw error
        }
    }

    static func create(_ configuration: CassandraConfiguration, client: CQLClient) async throws -> [Outcome] {
        let release = try await releaseVersion(client)
        let ifNotExists = atLeast(release, [2, 0]) ? " IF NOT EXISTS" : ""
        let keyspace = configuration.keyspace
        var outcomes: [Outcome] = []
        outcomes.append(
            Outcome(
                object: "keyspace \(keyspace) (\(configuration.replication))",
                created: try await run(
                    "CREATE KEYSPACE\(ifNotExists) \(keyspace) WITH replication = \(configuration.replication.cql)", client)))
        for table in tables {
            var options: [String] = []
            if let clustering = table.clustering { options.append("CLUSTERING ORDER BY (\(clustering))") }
            if table.timeSeries, let compaction = compaction(for: release) { options.append("compaction = \(compaction)") }
            let with = options.isEmpty ? "" : " WITH " + options.joined(separator: " AND ")
            let created = try await run("CREATE TABLE\(ifNotExists) \(keyspace).\(table.name) (\(table.columns))\(with)", client)
            outcomes.append(Outcome(object: "table \(keyspace).\(table.name)", created: created))
            if created && table.name == "quarantine_counts" { try await carryOverQuarantineDays(configuration, client) }
        }
        return outcomes
    }

    /// Stores made before the counts were kept per shard had one table of per-day counts; its
    /// rows become the shard `quarantine_days`, which nothing writes any more.
    static func carryOverQuarantineDays(_ configuration: CassandraConfiguration, _ client: CQLClient) async throws {
        let keyspace = configuration.keyspace
        let rows: [CQLCells]
        do {
            rows = try await client.select(
                "SELECT day, reason, records FROM \(keyspace).quarantine_days LIMIT 1000000", [],
                consistency: configuration.consistency
            ).cells
        } catch let error as CQLServerError where error.kind == .invalid {
            return
        }
        for row in rows {
            _ = try await client.execute(
                "UPDATE \(keyspace).quarantine_counts SET records = ? WHERE shard = 'quarantine_days' AND day = ? AND reason = ?",
                [.bigint(try row.int64(2)), .text(row.text(0)), .text(row.text(1))], consistency: configuration.consistency, idempotent: true)
        }
    }

    /// Time-window compaction (3.0.8+) keeps each day's data in its own files, so old days are
    /// never rewritten and expire whole; 2.x has date-tiered compaction for the same purpose.
    static func compaction(for release: [Int]) -> String? {
        if atLeast(release, [3, 0, 8]) {
            return "{'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}"
        }
        if atLeast(release, [2, 0, 11]) { return "{'class': 'DateTieredCompactionStrategy'}" }
        return nil
    }

    static func atLeast(_ release: [Int], _ version: [Int]) -> Bool { !release.lexicographicallyPrecedes(version) }

    /// The server's release, like [1, 2, 0].
    static func releaseVersion(_ client: CQLClient) async throws -> [Int] {
        let rows = try await client.select("SELECT release_version FROM system.local", [], consistency: .one)
        guard let row = rows.cells.first else { return [0] }
        return row.text(0).split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { Int($0) }
    }

    /// Runs DDL; false when the object was there already.
    private static func run(_ cql: String, _ client: CQLClient) async throws -> Bool {
        do {
            switch try await client.query(cql, consistency: .one, idempotent: true) {
            case .schemaChange: return true
            default: return false
            }
        } catch let error as CQLServerError {
            if case .alreadyExists = error.kind { return false }
            throw error
        }
    }
}
