import ArgumentParser
import Foundation
import StockpipeCore
import StockpipeApp
import StockpipePipeline

extension QueryCommand {
    struct Quotes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "REST quotes of one symbol as polled, oldest first; without --from, the latest --limit.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Symbol, e.g. AAPL.", valueName: "S")) var symbol: String
        @Option(help: ArgumentHelp("Polled from this time: Unix ms, ISO 8601 or YYYY-MM-DD.", valueName: "T")) var from: String?
        @Option(help: ArgumentHelp("Up to this time (inclusive).", valueName: "T")) var to: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("At most N quotes.", valueName: "N")) var limit = 100
        @Flag(help: "One JSON document on stdout.") var json = false

        func run() async throws {
            guard limit > 0 else { throw UserError("--limit must be above 0") }
            let (from, to) = (try parseTime(from, flag: "--from"), try parseTime(to, flag: "--to"))
            let backends = try await Backends.open(try common.settings(checking: "query quotes"), create: false)
            let quotes = try await backends.store.quotes(symbol: symbol, from: from, to: to, limit: limit)
            await backends.close()
            if json {
                printJSONArray(quotes) { $1.writeJSON(to: &$0, includeType: false) }
                return
            }
            if quotes.isEmpty { print("no quotes for \(TerminalText.escaped(symbol))"); return }
            print("polled (UTC)".padding(toLength: 26, withPad: " ", startingAt: 0) + leftPad("current", 12) + leftPad("change %", 10)
                  + leftPad("high", 12) + leftPad("low", 12) + leftPad("open", 12) + leftPad("prev close", 12))
            for quote in quotes {
                print(formatTime(quote.receivedAt).padding(toLength: 26, withPad: " ", startingAt: 0)
                      + leftPad(formatNumber(quote.current), 12) + leftPad(quote.percentChange.map { String(format: "%.2f", $0) } ?? "-", 10)
                      + leftPad(formatNumber(quote.high), 12) + leftPad(formatNumber(quote.low), 12)
                      + leftPad(formatNumber(quote.open), 12) + leftPad(formatNumber(quote.previousClose), 12))
            }
        }
    }
}
