import Foundation
import StockpipeCore

/// `query quotes`: REST quotes as polled; `--from` and `--to` are the times they were polled.
extension Quote: SymbolRow {
    static var kind: SymbolRowKind<Quote> {
        SymbolRowKind(
            name: "quotes", abstract: "REST quotes of one symbol as polled, oldest first; without --from, the latest --limit.",
            read: { try await $0.quotes(symbol: $1, from: $2, to: $3, limit: $4) }
        ) { symbol in
            RowsText(
                empty: "no quotes for \(TerminalText.escaped(symbol))",
                header: timeColumn("polled (UTC)") + leftPad("current", 12) + leftPad("change %", 10)
                    + ["high", "low", "open", "prev close"].map { leftPad($0, 12) }.joined()
            ) { quote in
                timeColumn(formatTime(quote.receivedAt)) + leftPad(formatNumber(quote.current), 12)
                    + leftPad(quote.percentChange.map { String(format: "%.2f", $0) } ?? "-", 10)
                    + [quote.high, quote.low, quote.open, quote.previousClose].map { leftPad(formatNumber($0), 12) }.joined()
            }
        }
    }
}
