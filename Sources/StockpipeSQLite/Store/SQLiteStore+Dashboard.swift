import Foundation
import GRDB
import StockpipeCore

extension SQLiteStore {
    /// The symbols with candles, one index probe each rather than a scan of the table.
    static func symbols(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                WITH RECURSIVE s(symbol) AS (
                    SELECT MIN(symbol) FROM candles_1m
                    UNION ALL SELECT (SELECT MIN(symbol) FROM candles_1m WHERE symbol > s.symbol) FROM s WHERE s.symbol IS NOT NULL)
                SELECT symbol FROM s WHERE symbol IS NOT NULL
                """)
    }

    public func symbolSummaries(window: Int64, sparkline: Int) async throws -> [SymbolSummary] {
        try await pool.checkedRead { db in
            let latest = try db.cachedStatement(
                sql: """
                    SELECT start, open, high, low, close, volume, notional, trades, last_ts FROM candles_1m
                    WHERE symbol = ? ORDER BY start DESC LIMIT ?
                    """)
            let first = try db.cachedStatement(sql: "SELECT open FROM candles_1m WHERE symbol = ? AND start >= ? ORDER BY start LIMIT 1")
            return try Self.symbols(db).compactMap { symbol -> SymbolSummary? in
                let rows = try Row.fetchAll(latest, arguments: [symbol, max(1, sparkline)])
                guard let last = rows.first else { return nil }
                let start: Int64 = last["start"]
                let reference = try Double.fetchOne(first, arguments: [symbol, start - window]) ?? last["close"]
                let trades: Int64 = last["trades"]
                var summary = SymbolSummary(
                    symbol: symbol, last: last["close"],
                    lastUpdate: trades > 0 ? last["last_ts"] : start + Candle.oneMinute - 1,
                    reference: reference, sparkline: rows.reversed().map { $0["close"] })
                summary.latest = Candle(
                    symbol: symbol, interval: Candle.oneMinute, start: start, open: last["open"],
                    high: last["high"], low: last["low"], close: last["close"],
                    volumeUnits: FixedPoint.value([UInt8](last["volume"] as Data)),
                    notionalUnits: FixedPoint.value([UInt8](last["notional"] as Data)),
                    trades: trades, backfilled: trades == 0)
                return summary
            }
        }
    }

    public func qualityHistory(from: Int64, bucket: Int64) async throws -> [QualityBucket] {
        let bucket = max(1, bucket)
        return try await pool.checkedRead { db in
            var buckets: [Int64: QualityBucket] = [:]
            func floor(_ time: Int64) -> Int64 { time - ((time % bucket) + bucket) % bucket }
            let rows = try Row.fetchCursor(
                db, sql: "SELECT minute, kind, records FROM quality_1m WHERE minute >= ?", arguments: [floor(from)])
            while let row = try rows.next() {
                let start = floor(row[0])
                QualityMinute.add(kind: row[1], records: row[2], to: &buckets[start, default: QualityBucket(start: start)])
            }
            return buckets.values.sorted { $0.start < $1.start }
        }
    }
}
