import Foundation
import GRDB
import StockpipeCore

extension CandleAccumulator.Partial {
    /// A stored candle's row: open, high, low, close, volume, notional, trades, first and last trade.
    init(row: Row) {
        let unknown = TradeID(high: 0, low: 0)
        self.init(
            open: row[0], high: row[1], low: row[2], close: row[3],
            volume: FixedPoint.value([UInt8](row[4] as Data)), notional: FixedPoint.value([UInt8](row[5] as Data)),
            trades: row[6],
            first: (row[7], TradeID(bytes: [UInt8](row[8] as Data)) ?? unknown),
            last: (row[9], TradeID(bytes: [UInt8](row[10] as Data)) ?? unknown))
    }
}
