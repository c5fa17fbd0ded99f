import StockpipeCore

/// The store's CQL, built once from the keyspace and TTLs (both checked: a name, whole numbers),
/// so every statement is a fixed text with bound values and is prepared once per connection.
struct Statements: Sendable {
    /// The most rows one read gathers. Cassandra 1.2 caps a SELECT at 10,000 rows unless told
    /// otherwise, so every read states its limit.
    static let scanLimit = 1_000_000

    let keyspace: String
    private let using: String
    private let quarantineUsing: String

    init(keyspace: String, ttl: Int?, quarantineTTL: Int?) {
        self.keyspace = keyspace
        using = ttl.map { " USING TTL \($0)" } ?? ""
        quarantineUsing = quarantineTTL.map { " USING TTL \($0)" } ?? ""
    }

    /// A limit rounded up to a power of ten, so that few distinct statements are prepared.
    static func limit(_ wanted: Int) -> Int {
        var limit = 100
        while limit < wanted && limit < scanLimit { limit *= 10 }
        return limit
    }

    private func insert(_ table: String, _ columns: [String], ttl: String) -> String {
        "INSERT INTO \(keyspace).\(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))\(ttl)"
    }

    // MARK: trades

    var insertTrade: String {
        insert("trades", ["symbol", "day", "ts", "id", "price", "volume", "source_hash", "conditions"], ttl: using)
    }

    var tradeKeys: String {
        "SELECT ts, id, source_hash FROM \(keyspace).trades WHERE symbol = ? AND day = ? AND ts >= ? AND ts <= ? LIMIT \(Self.scanLimit)"
    }

    var tradesForCandles: String {
        "SELECT ts, id, price, volume FROM \(keyspace).trades WHERE symbol = ? AND day = ? AND ts >= ? AND ts <= ? LIMIT \(Self.scanLimit)"
    }

    func trades(ascending: Bool, limit: Int) -> String {
        "SELECT ts, id, price, volume, conditions FROM \(keyspace).trades WHERE symbol = ? AND day = ? AND ts >= ? AND ts <= ?"
            + (ascending ? " ORDER BY ts ASC, id ASC" : "") + " LIMIT \(Self.limit(limit))"
    }

    // MARK: candles

    var insertCandle: String {
        insert(
            "candles_1m",
            [
                "symbol", "day", "start", "open", "high", "low", "close", "volume", "notional", "trades",
                "first_ts", "first_id", "last_ts", "last_id",
            ], ttl: using)
    }

    var candlesForMerge: String {
        "SELECT start, open, high, low, close, volume, notional, trades, first_ts, first_id, last_ts, last_id FROM \(keyspace).candles_1m "
            + "WHERE symbol = ? AND day = ? AND start >= ? AND start <= ? LIMIT \(Self.scanLimit)"
    }

    /// Newest first, as the table is clustered; `ascending` reverses.
    func candles(ascending: Bool, limit: Int = scanLimit) -> String {
        "SELECT start, open, high, low, close, volume, notional, trades, last_ts FROM \(keyspace).candles_1m "
            + "WHERE symbol = ? AND day = ? AND start >= ? AND start <= ?" + (ascending ? " ORDER BY start ASC" : "")
            + " LIMIT \(limit == Self.scanLimit ? limit : Self.limit(limit))"
    }

    var candleTrades: String {
        "SELECT trades FROM \(keyspace).candles_1m WHERE symbol = ? AND day = ? LIMIT \(Self.scanLimit)"
    }

    // MARK: quotes

    /// Cassandra 1.2.0 fails on a bound null: columns without a value are left out.
    func insertQuote(withChange: Bool, withPercentChange: Bool) -> String {
        insert(
            "quotes",
            ["symbol", "day", "received_at", "ts", "current", "high", "low", "open", "previous_close"]
                + (withChange ? ["change"] : []) + (withPercentChange ? ["percent_change"] : []), ttl: using)
    }

    var quoteTimes: String {
        "SELECT received_at FROM \(keyspace).quotes WHERE symbol = ? AND day = ? AND received_at >= ? AND received_at <= ? LIMIT \(Self.scanLimit)"
    }

    func quotes(ascending: Bool, limit: Int) -> String {
        "SELECT received_at, ts, current, change, percent_change, high, low, open, previous_close FROM \(keyspace).quotes "
            + "WHERE symbol = ? AND day = ? AND received_at >= ? AND received_at <= ?"
            + (ascending ? "" : " ORDER BY received_at DESC") + " LIMIT \(Self.limit(limit))"
    }

    // MARK: per-day counts

    var symbolDays: String { "SELECT day FROM \(keyspace).symbol_days WHERE symbol = ? LIMIT \(Self.scanLimit)" }
    var allSymbolDays: String {
        "SELECT symbol, day, trades, candles, backfilled, quotes FROM \(keyspace).symbol_days LIMIT \(Self.scanLimit)"
    }
    var symbolDay: String { "SELECT trades, candles, backfilled FROM \(keyspace).symbol_days WHERE symbol = ? AND day = ?" }
    var updateSymbolDay: String {
        "UPDATE \(keyspace).symbol_days\(using) SET trades = ?, candles = ?, backfilled = ? WHERE symbol = ? AND day = ?"
    }
    var updateSymbolDayQuotes: String { "UPDATE \(keyspace).symbol_days\(using) SET quotes = ? WHERE symbol = ? AND day = ?" }
    var symbolDayQuotes: String { "SELECT quotes FROM \(keyspace).symbol_days WHERE symbol = ? AND day = ?" }

    // MARK: quarantine

    var insertQuarantine: String {
        insert("quarantine", ["day", "quarantined_at", "source", "reasons", "payload", "origin"], ttl: quarantineUsing)
    }
    var insertQuarantineSource: String { insert("quarantine_sources", ["source", "day", "quarantined_at"], ttl: quarantineUsing) }
    var quarantineSource: String { "SELECT day, quarantined_at FROM \(keyspace).quarantine_sources WHERE source = ?" }
    var deleteQuarantine: String { "DELETE FROM \(keyspace).quarantine WHERE day = ? AND quarantined_at = ? AND source = ?" }
    var deleteQuarantineSource: String { "DELETE FROM \(keyspace).quarantine_sources WHERE source = ?" }
    func quarantine(limit: Int) -> String {
        "SELECT reasons, payload, origin, quarantined_at FROM \(keyspace).quarantine WHERE day = ? LIMIT \(Self.limit(limit))"
    }
    /// A day's records after a cursor's time: older ones (the table is newest first).
    func quarantineOlder(limit: Int) -> String {
        "SELECT reasons, payload, origin, quarantined_at FROM \(keyspace).quarantine WHERE day = ? AND quarantined_at < ? "
            + "LIMIT \(Self.limit(limit))"
    }
    /// A day's records at a cursor's time with a key after the cursor's.
    func quarantineAtTimeAfterKey(limit: Int) -> String {
        "SELECT reasons, payload, origin, quarantined_at FROM \(keyspace).quarantine WHERE day = ? AND quarantined_at = ? AND source > ? "
            + "LIMIT \(Self.limit(limit))"
    }
    var quarantineReasons: String {
        "SELECT quarantined_at, reasons FROM \(keyspace).quarantine WHERE day = ? AND quarantined_at >= ? LIMIT \(Self.scanLimit)"
    }
    var quarantineReasonsOf: String {
        "SELECT reasons FROM \(keyspace).quarantine WHERE day = ? AND quarantined_at = ? AND source = ?"
    }

    // Per-day counts of the quarantine, kept per shard (a log partition); the row of day '' holds
    // the last offset of the shard that the counts include.
    var allQuarantineCounts: String { "SELECT day, reason, records FROM \(keyspace).quarantine_counts LIMIT \(Self.scanLimit)" }
    var quarantineCounts: String { "SELECT reason, records FROM \(keyspace).quarantine_counts WHERE shard = ? AND day = ?" }
    var updateQuarantineCount: String {
        "UPDATE \(keyspace).quarantine_counts\(quarantineUsing) SET records = ? WHERE shard = ? AND day = ? AND reason = ?"
    }
    var countedThrough: String {
        "SELECT read_through FROM \(keyspace).quarantine_counts WHERE shard = ? AND day = '' AND reason = ''"
    }
    var updateCountedThrough: String {
        "UPDATE \(keyspace).quarantine_counts SET read_through = ? WHERE shard = ? AND day = '' AND reason = ''"
    }

    // What each minute brought to the store, per shard; minute 0 holds the shard's read_through.
    var qualityMinutes: String {
        "SELECT minute, kind, records FROM \(keyspace).quality_minutes WHERE shard = ? AND minute >= ? LIMIT \(Self.scanLimit)"
    }
    var qualityMinute: String { "SELECT kind, records FROM \(keyspace).quality_minutes WHERE shard = ? AND minute = ?" }
    var updateQualityMinute: String {
        "UPDATE \(keyspace).quality_minutes SET records = ? WHERE shard = ? AND minute = ? AND kind = ?"
    }
    var qualityThrough: String {
        "SELECT read_through FROM \(keyspace).quality_minutes WHERE shard = ? AND minute = 0 AND kind = ''"
    }
    var updateQualityThrough: String {
        "UPDATE \(keyspace).quality_minutes SET read_through = ? WHERE shard = ? AND minute = 0 AND kind = ''"
    }
    var qualityShards: String { "SELECT shard FROM \(keyspace).quality_shards WHERE name = 'shards'" }
    var insertQualityShard: String { "INSERT INTO \(keyspace).quality_shards (name, shard) VALUES ('shards', ?)" }

    // MARK: operations (kept for a bounded time: the history 30 days, reports 7)

    var insertJobRun: String {
        insert(
            "job_runs", ["job", "started_at", "scheduled_at", "finished_at", "attempts", "outcome", "detail", "trigger", "state"],
            ttl: " USING TTL \(30 * 86_400)")
    }
    func jobRuns(limit: Int) -> String {
        "SELECT job, scheduled_at, started_at, finished_at, attempts, outcome, detail, trigger, state FROM \(keyspace).job_runs "
            + "WHERE job = ? LIMIT \(Self.limit(limit))"
    }
    var insertQualityReport: String {
        insert("quality_reports", ["kind", "generated_at", "report"], ttl: " USING TTL \(7 * 86_400)")
    }
    var latestQualityReport: String {
        "SELECT generated_at, report FROM \(keyspace).quality_reports WHERE kind = 'quality' LIMIT 1"
    }
}
