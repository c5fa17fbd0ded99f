import Foundation
import GRDB
import StockpipeCore

extension CandleAccumulator {
    /// Adds each folded candle to its stored one in the embedded store.
    mutating func merge(into db: Database) throws {
        let partials = folded()
        let select = try db.cachedStatement(
            sql: """
                SELECT open, high, low, close, volume, notional, trades, first_ts, first_id, last_ts, last_id
                FROM candles_1m WHERE symbol = ? AND start = ?
                """)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO candles_1m
                (symbol, start, open, high, low, close, volume, notional, trades, first_ts, first_id, last_ts, last_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (key, partial) in partials {
            var candle = partial
            // A backfilled candle (no trades) gives way to the first one built from trades.
            if let row = try Row.fetchOne(select, arguments: [key.symbol, key.start]), (row[6] as Int64) > 0 {
                var stored = Partial(row: row)
                stored.add(partial)
                candle = stored
            }
            try upsert.execute(arguments: [
                key.symbol, key.start, candle.open, candle.high, candle.low, candle.close,
                Data(FixedPoint.bytes(candle.volume)), Data(FixedPoint.bytes(candle.notional)), candle.trades,
                candle.first.ts, Data(candle.first.id.bytes), candle.last.ts, Data(candle.last.id.bytes),
            ])
        }
    }
}
