import Foundation

/// Folds the new trades of one write into per-minute partial candles, then merges each into its
/// stored candle. Open and close go to the earliest and latest trade by (timestamp, identity).
package struct CandleAccumulator: Sendable {
    package init() {}

    package struct Key: Hashable, Sendable {
        package var symbol: String
        package var start: Int64
        package init(symbol: String, start: Int64) {
            self.symbol = symbol
            self.start = start
        }
    }

    package struct Partial: Sendable {
        package var open: Double, high: Double, low: Double, close: Double
        package var volume: Int128, notional: Int128, trades: Int64
        package var first: (ts: Int64, id: TradeID)
        package var last: (ts: Int64, id: TradeID)

        package init(_ trade: Trade) {
            open = trade.price; high = trade.price; low = trade.price; close = trade.price
            volume = FixedPoint.units(trade.volume)
            notional = FixedPoint.notional(price: FixedPoint.units(trade.price), volume: volume)
            trades = 1
            first = (trade.timestamp, trade.id)
            last = first
        }

        package init(
            open: Double, high: Double, low: Double, close: Double, volume: Int128, notional: Int128, trades: Int64,
            first: (ts: Int64, id: TradeID), last: (ts: Int64, id: TradeID)
        ) {
            self.open = open; self.high = high; self.low = low; self.close = close
            self.volume = volume; self.notional = notional; self.trades = trades
            self.first = first; self.last = last
        }

        package mutating func add(_ other: Partial) {
            high = max(high, other.high)
            low = min(low, other.low)
            volume = FixedPoint.adding(volume, other.volume)
            notional = FixedPoint.adding(notional, other.notional)
            trades = trades &+ other.trades
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

    /// The start of the minute `timestamp` falls in (also before 1970).
    package static func minute(of timestamp: Int64) -> Int64 {
        // Wrapping: validation keeps timestamps far from the ends of Int64; this must not trap if one slips past.
        timestamp &- ((timestamp % Candle.oneMinute) + Candle.oneMinute) % Candle.oneMinute
    }

    package mutating func add(_ trade: Trade) {
        let start = Self.minute(of: trade.timestamp)
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

    /// The folded candles, each of the new trades of one minute.
    package mutating func folded() -> [Key: Partial] {
        flush()
        return partials
    }
}
