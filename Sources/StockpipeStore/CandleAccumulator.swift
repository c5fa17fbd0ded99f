import Foundation
import GRDB
import StockpipeModel

/// Folds the new trades of one write into per-minute partial candles, then merges each into its
/// stored candle. Open and close go to the earliest and latest trade by (timestamp, identity).
struct CandleAccumulator: Sendable {
    struct Key: Hashable, Sendable {
        var symbol: String
        var start: Int64
    }

    struct Partial: Sendable {
        var open: Double, high: Double, low: Double, close: Double
        var volume: Int128, notional: Int128, trades: Int64
        var first: (ts: Int64, id: TradeID)
        var last: (ts: Int64, id: TradeID)

        init(_ trade: Trade) {
            open = trade.price; high = trade.price; low = trade.price; close = trade.price
            volume = FixedPoint.units(trade.volume)
            notional = FixedPoint.units(trade.price) * volume
            trades = 1
            first = (trade.timestamp, trade.id)
            last = first
        }

        init(row: Row) {
            open = row[0]; high = row[1]; low = row[2]; close = row[3]
            volume = FixedPoint.value([UInt8](row[4] as Data))
            notional = FixedPoint.value([UInt8](row[5] as Data))
            trades = row[6]
            first = (row[7], TradeID(bytes: [UInt8](row[8] as Data)) ?? TradeID(high: 0, low: 0))
            last = (row[9], TradeID(bytes: [UInt8](row[10] as Data)) ?? TradeID(high: 0, low: 0))
        }

        mutating func add(_ other: Partial) {
            high = max(high, other.high)
            low = min(low, other.low)
            volume += other.volume
            notional += other.notional
            trades += other.trades
            if (other.first.ts, other.first.id) < (first.ts, first.id) {
                first = other.first
                open = other.open
            }
            if (other.last.ts, other.last.id) > (last.ts, last.id) {
                last = other.last
                close = other.close
            }
        }
    }

    private var partials: [Key: Partial] = [:]
    /// The candle being folded: trades in key order come in runs of one symbol and minute, which
    /// are folded here and reach the dictionary once per run.
    private var current: (key: Key, partial: Partial)?

    mutating func add(_ trade: Trade) {
        let start = trade.timestamp - ((trade.timestamp % Candle.oneMinute) + Candle.oneMinute) % Candle.oneMinute
        let partial = Partial(trade)
        if current?.key.start == start, current?.key.symbol == trade.symbol {
            current!.partial.add(partial)
            return
        }
        flush()
        current = (Key(symbol: trade.symbol, start: start), partial)
    }

    private mutating func flush() {
        guard let (key, partial) = current else { return }
        current = nil
        if partials[key] == nil { partials[key] = partial } else { partials[key]!.add(partial) }
    }

    mutating func merge(into db: Database) throws {
        flush()
        let select = try db.cachedStatement(sql: """
            SELECT open, high, low, close, volume, notional, trades, first_ts, first_id, last_ts, last_id
            FROM candles_1m WHERE symbol = ? AND start = ?
            """)
        let upsert = try db.cachedStatement(sql: """
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
