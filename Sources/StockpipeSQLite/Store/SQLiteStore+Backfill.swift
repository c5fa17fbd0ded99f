import Foundation
import GRDB
import StockpipeCore

extension SQLiteStore {
    /// Backfilled candles are rows with no trades and no VWAP (a zero notional); that is what tells
    /// them from candles built from trades.
    public func backfill(_ candles: [Candle]) async throws -> BackfillResult {
        try await pool.checkedWrite { db in
            var result = BackfillResult()
            let existing = try db.cachedStatement(sql: "SELECT trades FROM candles_1m WHERE symbol = ? AND start = ?")
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO candles_1m
                    (symbol, start, open, high, low, close, volume, notional, trades, first_ts, first_id, last_ts, last_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
                    """)
            let noID = Data(count: 16)
            let zero = Data(FixedPoint.bytes(0))
            for candle in candles {
                switch try Int64.fetchOne(existing, arguments: [candle.symbol, candle.start]) {
                case let trades? where trades > 0:
                    result.keptFromTrades += 1
                    continue
                case .some: result.replaced += 1
                case nil: result.inserted += 1
                }
                try upsert.execute(arguments: [
                    candle.symbol, candle.start, candle.open, candle.high, candle.low, candle.close,
                    Data(FixedPoint.bytes(candle.volumeUnits)), zero,
                    candle.start, noID, candle.start + Candle.oneMinute - 1, noID,
                ])
            }
            return result
        }
    }
}
