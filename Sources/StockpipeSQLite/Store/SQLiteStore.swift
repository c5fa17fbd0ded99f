import Foundation
import GRDB
import GRDBSQLite
import StockpipeCore
import StockpipeJSON

/// The embedded store: `store.sqlite` in the data directory.
///
/// Trades are keyed by (symbol, timestamp, identity), which also serves time-range queries.
/// Candles are updated in the same transaction as the trades, from the trades that were new, so
/// a redelivered batch changes nothing and arrival order does not matter.
public final class SQLiteStore: Store {
    let pool: DatabasePool

    public init(path: String) throws {
        var options = GRDB.Configuration()
        options.busyMode = .timeout(30)
        // FULL: the load stage commits its log position right after this store's commit, so the
        // store must be on disk first even if the machine (not just the process) goes down.
        // The writer keeps 32 MiB of pages (the trades' and candles' index pages it updates at every
        // batch). Readers answer short index range reads (the dashboard, status, queries) that the
        // kernel's file cache serves as well; at 32 MiB each, the pool's readers held up to 150 MiB
        // more with the dashboard open than without it.
        options.maximumReaderCount = 3
        options.prepareDatabase { db in
            let cacheKiB = db.configuration.readonly ? 4_096 : 32_768
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA cache_size = -\(cacheKiB)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: options)
            try Self.migrator.migrate(pool, lockingBeside: path)
        } catch {
            throw DamagedDatabaseError.from(error, path: path)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE trades (
                        symbol TEXT NOT NULL, ts INTEGER NOT NULL, id BLOB NOT NULL,
                        price REAL NOT NULL, volume REAL NOT NULL, conditions TEXT NOT NULL,
                        source_hash INTEGER NOT NULL,
                        PRIMARY KEY (symbol, ts, id)) WITHOUT ROWID;
                    CREATE TABLE candles_1m (
                        symbol TEXT NOT NULL, start INTEGER NOT NULL,
                        open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
                        volume BLOB NOT NULL, notional BLOB NOT NULL, trades INTEGER NOT NULL,
                        first_ts INTEGER NOT NULL, first_id BLOB NOT NULL, last_ts INTEGER NOT NULL, last_id BLOB NOT NULL,
                        PRIMARY KEY (symbol, start)) WITHOUT ROWID;
                    CREATE TABLE quarantine (
                        source TEXT PRIMARY KEY, reason_bits INTEGER NOT NULL, payload BLOB NOT NULL,
                        origin TEXT NOT NULL, quarantined_at INTEGER NOT NULL);
                    CREATE INDEX quarantine_by_time ON quarantine (quarantined_at);
                    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    INSERT INTO counters VALUES ('trades', 0);
                    """)
        }
        migrator.registerMigration("v2-quotes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE quotes (
                        symbol TEXT NOT NULL, received_at INTEGER NOT NULL, ts INTEGER NOT NULL,
                        current REAL NOT NULL, change REAL, percent_change REAL, high REAL NOT NULL, low REAL NOT NULL,
                        open REAL NOT NULL, previous_close REAL NOT NULL,
                        PRIMARY KEY (symbol, received_at)) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3-operations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE job_runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, scheduled_at INTEGER NOT NULL,
                        started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, attempts INTEGER NOT NULL,
                        outcome TEXT NOT NULL, detail TEXT NOT NULL, trigger TEXT NOT NULL, state TEXT NOT NULL);
                    CREATE INDEX job_runs_by_job ON job_runs (job, started_at);
                    CREATE TABLE quality_reports (generated_at INTEGER PRIMARY KEY, report TEXT NOT NULL);
                    INSERT INTO counters VALUES ('quotes_expired', 0);
                    """)
        }
        migrator.registerMigration("v4-quality-minutes") { db in
            // What each minute brought to the store: accepted trades (`accepted`), quarantined
            // records (`*`) and their reasons, counted when they were written.
            try db.execute(
                sql: """
                    CREATE TABLE quality_1m (
                        minute INTEGER NOT NULL, kind TEXT NOT NULL, records INTEGER NOT NULL,
                        PRIMARY KEY (minute, kind)) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    public func write(_ batch: StoreBatch) async throws -> StoreWriteResult {
        try await Self.unavailableIfTransient { try await self.writeOnce(batch) }
    }

    private func writeOnce(_ batch: StoreBatch) async throws -> StoreWriteResult {
        let now = WallClock.milliseconds()
        return try await pool.checkedWrite { db in
            var result = StoreWriteResult()
            var insertedAll = true
            var inserted: [Int] = []
            var quarantine = batch.quarantine
            let insert = try TradeInsert(db)
            let existing = try db.cachedStatement(sql: "SELECT source_hash FROM trades WHERE symbol = ? AND ts = ? AND id = ?")
            let leaveQuarantine = try db.cachedStatement(sql: "DELETE FROM quarantine WHERE source = ?")
            // In key order the B-tree inserts touch neighbouring pages (see ``StoreBatch/preparedForInsert()``).
            let ordered = batch.order ?? batch.insertOrder()
            try batch.trades.withUnsafeBufferPointer { trades in
                for index in ordered {
                    if try insert.run(trades[index]) {
                        result.inserted += 1
                        inserted.append(index)
                        if trades[index].redriven {
                            try leaveQuarantine.execute(arguments: [trades[index].origin.quarantineKey])
                        }
                        continue
                    }
                    insertedAll = false
                    let trade = trades[index].trade
                    if try Int64.fetchOne(existing, arguments: [trade.symbol, trade.timestamp, Data(trade.id.bytes)])
                        == trades[index].sourceHash
                    {
                        result.redelivered += 1
                    } else {
                        result.duplicates += 1
                        quarantine.append(
                            QuarantineRecord(
                                reasons: [.duplicate], payload: trade.finnhubJSON(),
                                // The log's time, not the clock's: read again, the record is quarantined at the same time.
                                origin: trades[index].origin, quarantinedAt: trades[index].position?.appendedAt ?? now))
                    }
                }
            }
            // Candles count only the trades that were new; usually that is all of them.
            var candles = CandleAccumulator()
            if insertedAll, let prepared = batch.candles {
                candles = prepared
            } else {
                for index in inserted { candles.add(batch.trades[index].trade) }
            }
            try candles.merge(into: db)
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO quarantine (source, reason_bits, payload, origin, quarantined_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (source) DO UPDATE SET reason_bits = excluded.reason_bits, payload = excluded.payload,
                        origin = excluded.origin, quarantined_at = excluded.quarantined_at
                    """)
            let known = try db.cachedStatement(sql: "SELECT quarantined_at FROM quarantine WHERE source = ?")
            var counts = QualityMinute(minute: now - ((now % 60_000) + 60_000) % 60_000)
            counts.add(QualityMinute.accepted, Int64(result.inserted))
            for record in quarantine {
                // Read again (a redelivery), a record is quarantined at the same time and was counted
                // then; one quarantined anew (re-driven and refused again) counts again.
                if try Int64.fetchOne(known, arguments: [record.origin.quarantineKey]) != record.quarantinedAt { counts.add(record) }
                try upsert.execute(arguments: [
                    record.origin.quarantineKey, Int64(Reasons(record.reasons).bits),
                    Data(record.payload), record.origin.json, record.quarantinedAt,
                ])
            }
            result.quarantined = quarantine.count
            try counts.write(into: db)
            // One row per symbol and poll: a redelivered quote lands on its own row again.
            let quote = try db.cachedStatement(
                sql: """
                    INSERT INTO quotes (symbol, received_at, ts, current, change, percent_change, high, low, open, previous_close)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """)
            for item in batch.quotes {
                try quote.execute(arguments: [
                    item.symbol, item.receivedAt, item.timestamp, item.current, item.change,
                    item.percentChange, item.high, item.low, item.open, item.previousClose,
                ])
                result.quotes += db.changesCount
            }
            try db.execute(sql: "UPDATE counters SET value = value + ? WHERE name = 'trades'", arguments: [result.inserted])
            return result
        }
    }

    public func close() async throws {
        pool.checkpointForClose()
        try pool.close()
    }
}

/// The hot insert of the load stage, bound through the SQLite C API: GRDB's argument arrays cost
/// more than the insert itself at a million rows.
struct TradeInsert {
    private let statement: Statement
    private let db: Database

    init(_ db: Database) throws {
        self.db = db
        statement = try db.cachedStatement(
            sql: """
                INSERT INTO trades (symbol, ts, id, price, volume, conditions, source_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
    }

    /// Inserts the trade unless its key exists; returns whether it was inserted.
    func run(_ incoming: borrowing IncomingTrade) throws -> Bool {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        // Fields read in place: copying the whole trade would retain every string it holds.
        var symbol = incoming.trade.symbol
        var conditions = incoming.conditionsText
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        symbol.withUTF8 { _ = sqlite3_bind_text(handle, 1, $0.baseAddress, Int32($0.count), transient) }
        sqlite3_bind_int64(handle, 2, incoming.trade.timestamp)
        var id = (incoming.trade.id.high.bigEndian, incoming.trade.id.low.bigEndian)
        withUnsafeBytes(of: &id) { _ = sqlite3_bind_blob(handle, 3, $0.baseAddress, 16, transient) }
        sqlite3_bind_double(handle, 4, incoming.trade.price)
        sqlite3_bind_double(handle, 5, incoming.trade.volume)
        conditions.withUTF8 { _ = sqlite3_bind_text(handle, 6, $0.baseAddress, Int32($0.count), transient) }
        sqlite3_bind_int64(handle, 7, incoming.sourceHash)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        return sqlite3_changes(db.sqliteConnection) == 1
    }
}
