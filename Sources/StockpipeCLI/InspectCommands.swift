import ArgumentParser
import Foundation
import StockpipeJSON
import StockpipeCore
import StockpipeApp
import StockpipePipeline

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Counts per source, topic, stage and store, and whether they reconcile.")

    @OptionGroup var common: CommonOptions
    @Flag(help: "One JSON document on stdout.") var json = false

    func run() async throws {
        let backends = try await Backends.open(try common.settings(checking: "read the status"), create: false)
        let report = try await StatusReport.collect(backends)
        await backends.close()
        print(json ? TerminalText.escapedJSON(report.json()) : TerminalText.escapedLines(report.text()))
    }
}

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Read trades, candles or quotes from the store.", subcommands: [Trades.self, Candles.self, Quotes.self])

    struct Trades: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trades of one symbol, oldest first; without --from, the latest --limit trades.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Symbol, e.g. AAPL or BINANCE:BTCUSDT.", valueName: "S")) var symbol: String
        @Option(help: ArgumentHelp("From this time: Unix ms, ISO 8601 or YYYY-MM-DD.", valueName: "T")) var from: String?
        @Option(help: ArgumentHelp("Up to this time (inclusive).", valueName: "T")) var to: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("At most N trades.", valueName: "N")) var limit = 100
        @Flag(help: "One JSON document on stdout.") var json = false

        func run() async throws {
            guard limit > 0 else { throw UserError("--limit must be above 0") }
            let (from, to) = (try parseTime(from, flag: "--from"), try parseTime(to, flag: "--to"))
            let backends = try await Backends.open(try common.settings(checking: "query trades"), create: false)
            let trades = try await backends.store.trades(symbol: symbol, from: from, to: to, limit: limit)
            await backends.close()
            if json {
                printJSONArray(trades) { $1.writeJSON(to: &$0, includeID: false) }
                return
            }
            if trades.isEmpty { print("no trades for \(TerminalText.escaped(symbol))"); return }
            print("time (UTC)".padding(toLength: 26, withPad: " ", startingAt: 0) + "symbol".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + leftPad("price", 10) + leftPad("volume", 14) + "  conditions")
            for trade in trades {
                print(formatTime(trade.timestamp).padding(toLength: 26, withPad: " ", startingAt: 0)
                      + TerminalText.escaped(trade.symbol).padding(toLength: 14, withPad: " ", startingAt: 0)
                      + leftPad(formatNumber(trade.price), 10) + leftPad(formatNumber(trade.volume), 14)
                      + "  " + TerminalText.escaped(trade.conditions.joined(separator: ",")))
            }
        }
    }

    struct Candles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "OHLCV candles of one symbol, oldest first.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Symbol.", valueName: "S")) var symbol: String
        @Option(help: ArgumentHelp("1m, 5m, 15m, 1h or 1d.", valueName: "I")) var interval = "1m"
        @Option(help: ArgumentHelp("From this time: Unix ms, ISO 8601 or YYYY-MM-DD.", valueName: "T")) var from: String?
        @Option(help: ArgumentHelp("Up to this time (inclusive).", valueName: "T")) var to: String?
        @Flag(help: "One JSON document on stdout.") var json = false

        func run() async throws {
            guard let length = Candle.intervals[interval] else {
                throw UserError("--interval must be one of 1m, 5m, 15m, 1h, 1d, not '\(interval)'")
            }
            var (from, to) = (try parseTime(from, flag: "--from"), try parseTime(to, flag: "--to"))
            if let start = from { from = start - ((start % length) + length) % length }  // whole intervals
            let backends = try await Backends.open(try common.settings(checking: "query candles"), create: false)
            let candles = Candle.rollUp(try await backends.store.candles(symbol: symbol, from: from, to: to), to: length)
            await backends.close()
            if json {
                printJSONArray(candles) { $1.writeJSON(to: &$0) }
                return
            }
            if candles.isEmpty { print("no candles for \(TerminalText.escaped(symbol))"); return }
            print("start (UTC)".padding(toLength: 26, withPad: " ", startingAt: 0)
                  + ["open", "high", "low", "close"].map { leftPad($0, 12) }.joined() + leftPad("volume", 14)
                  + leftPad("vwap", 12) + leftPad("trades", 8))
            for candle in candles {
                print(formatTime(candle.start).padding(toLength: 26, withPad: " ", startingAt: 0)
                      + [candle.open, candle.high, candle.low, candle.close].map { leftPad(formatNumber($0), 12) }.joined()
                      + leftPad(formatNumber(candle.volume), 14) + leftPad(candle.vwap.map { formatNumber($0, digits: 4) } ?? "-", 12)
                      + leftPad(String(candle.trades), 8))
            }
        }
    }
}

struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Inspect or re-drive quarantined records.", subcommands: [List.self, Replay.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Quarantined records, newest first.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Only records with this reason code.", valueName: "CODE")) var reason: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("At most N records.", valueName: "N")) var limit = 50
        @Flag(help: "One JSON document on stdout.") var json = false

        func run() async throws {
            guard limit > 0 else { throw UserError("--limit must be above 0") }
            let code = try parseReason(reason)
            let backends = try await Backends.open(try common.settings(checking: "list quarantined records"), create: false)
            let records = try await backends.store.quarantine(reason: code, limit: limit)
            await backends.close()
            if json {
                printJSONArray(records) { $1.writeJSON(to: &$0) }
                return
            }
            if records.isEmpty { print("the quarantine is empty" + (code.map { " for \($0.rawValue)" } ?? "")); return }
            for record in records {
                // Feed bytes, as they came: escaped, so they cannot drive the terminal.
                let payload = TerminalText.escaped(String(decoding: record.payload.prefix(120), as: UTF8.self))
                print("\(formatTime(record.quarantinedAt))  \(record.reasons.map(\.rawValue).joined(separator: ","))  "
                      + "\(TerminalText.escaped(record.origin.source))\n    \(payload)\(record.payload.count > 120 ? "…" : "")")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stage quarantined records again, to be validated with the current rules.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Only records with this reason code.", valueName: "CODE")) var reason: String?

        func run() async throws {
            let code = try parseReason(reason)
            let backends = try await Backends.open(try common.settings(checking: "re-drive quarantined records"), create: false)
            let count = try await QuarantineReplay.restage(backends, reason: code)
            await backends.close()
            print("staged \(count) quarantined records again; a running pipeline validates them, "
                  + "or run `stockpipe validate --drain` then `stockpipe load --drain`")
        }
    }
}

/// Prints `items` as one JSON array on stdout, each written by `write`.
func printJSONArray<Item>(_ items: [Item], _ write: (inout JSONWriter, Item) -> Void) {
    var writer = JSONWriter(capacity: items.count * 200 + 2)
    writer.arrayStart()
    for item in items { write(&writer, item) }
    writer.arrayEnd()
    print(TerminalText.escapedJSON(writer.string))
}

func parseReason(_ text: String?) throws -> ReasonCode? {
    guard let text else { return nil }
    guard let code = ReasonCode(rawValue: text) else {
        throw UserError("unknown reason '\(text)'; reasons are \(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return code
}
