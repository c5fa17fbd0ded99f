import ArgumentParser
import Foundation
import StockpipeApp
import StockpipeCore
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
        if json { try printJSON(report.document) } else { print(TerminalText.escapedLines(report.text())) }
    }
}

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Read trades, candles or quotes from the store.",
        subcommands: [SymbolQuery<Trade>.self, Candles.self, SymbolQuery<Quote>.self])

    struct Candles: RowsQuery {
        static let configuration = CommandConfiguration(abstract: "OHLCV candles of one symbol, oldest first.")
        static let purpose = "query candles"

        @OptionGroup var query: QueryOptions
        @OptionGroup var range: SymbolRange
        @Option(help: ArgumentHelp("1m, 5m, 15m, 1h or 1d.", valueName: "I")) var interval = "1m"

        func reader() throws -> (any Store) async throws -> [Candle] {
            guard let length = Candle.intervals[interval] else {
                throw UserError("--interval must be one of \(Candle.intervalNames.joined(separator: ", ")), not '\(interval)'")
            }
            let (requested, to) = try range.times()
            let from = requested.map { $0 - (($0 % length) + length) % length }  // whole intervals
            return { Candle.rollUp(try await $0.candles(symbol: range.symbol, from: from, to: to), to: length) }
        }

        var text: RowsText<Candle> {
            RowsText(
                empty: "no candles for \(TerminalText.escaped(range.symbol))",
                header: timeColumn("start (UTC)") + ["open", "high", "low", "close"].map { leftPad($0, 12) }.joined()
                    + leftPad("volume", 14) + leftPad("vwap", 12) + leftPad("trades", 8)
            ) { candle in
                timeColumn(formatTime(candle.start))
                    + [candle.open, candle.high, candle.low, candle.close].map { leftPad(formatNumber($0), 12) }.joined()
                    + leftPad(formatNumber(candle.volume), 14) + leftPad(candle.vwap.map { formatNumber($0, digits: 4) } ?? "-", 12)
                    + leftPad(String(candle.trades), 8)
            }
        }
    }
}

/// `query trades` and `query quotes`: rows of one symbol over a time range, at most `--limit`.
struct SymbolQuery<Row: SymbolRow>: RowsQuery {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Row.kind.name, abstract: Row.kind.abstract) }
    static var purpose: String { "query \(Row.kind.name)" }

    @OptionGroup var query: QueryOptions
    @OptionGroup var range: SymbolRange
    @Option(parsing: .unconditional, help: ArgumentHelp("At most N \(Row.kind.name).", valueName: "N")) var limit = 100

    func reader() throws -> (any Store) async throws -> [Row] {
        let limit = try QueryOptions.limit(limit)
        let (from, to) = try range.times()
        return { try await Row.kind.read($0, range.symbol, from, to, limit) }
    }

    var text: RowsText<Row> { Row.kind.text(range.symbol) }
}

/// A row that `query` reads by symbol and time: trades, quotes.
protocol SymbolRow: ShownRow {
    static var kind: SymbolRowKind<Self> { get }
}

struct SymbolRowKind<Row> {
    /// The subcommand, and what its rows are called.
    var name: String
    var abstract: String
    /// Rows of a symbol from and to a time (Unix ms), at most a limit.
    var read: (any Store, String, Int64?, Int64?, Int) async throws -> [Row]
    /// The table for the symbol.
    var text: (String) -> RowsText<Row>
}

extension Trade: SymbolRow {
    static var kind: SymbolRowKind<Trade> {
        SymbolRowKind(
            name: "trades", abstract: "Trades of one symbol, oldest first; without --from, the latest --limit trades.",
            read: { try await $0.trades(symbol: $1, from: $2, to: $3, limit: $4) }
        ) { symbol in
            RowsText(
                empty: "no trades for \(TerminalText.escaped(symbol))",
                header: timeColumn("time (UTC)") + "symbol".padding(toLength: 14, withPad: " ", startingAt: 0)
                    + leftPad("price", 10) + leftPad("volume", 14) + "  conditions"
            ) { trade in
                timeColumn(formatTime(trade.timestamp)) + TerminalText.escaped(trade.symbol).padding(toLength: 14, withPad: " ", startingAt: 0)
                    + leftPad(formatNumber(trade.price), 10) + leftPad(formatNumber(trade.volume), 14)
                    + "  " + TerminalText.escaped(trade.conditions.joined(separator: ","))
            }
        }
    }
}

struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Inspect or re-drive quarantined records.", subcommands: [List.self, Replay.self])

    struct List: RowsQuery {
        static let configuration = CommandConfiguration(abstract: "Quarantined records, newest first.")
        static let purpose = "list quarantined records"

        @OptionGroup var query: QueryOptions
        @OptionGroup var filter: ReasonFilter
        @Option(parsing: .unconditional, help: ArgumentHelp("At most N records.", valueName: "N")) var limit = 50

        func reader() throws -> (any Store) async throws -> [QuarantineRecord] {
            let (limit, code) = (try QueryOptions.limit(limit), try filter.code())
            return { try await $0.quarantine(reason: code, limit: limit) }
        }

        var text: RowsText<QuarantineRecord> {
            // `reason` is a code: `reader()` checked it.
            RowsText(empty: "the quarantine is empty" + (filter.reason.map { " for \($0)" } ?? "")) { record in
                // Feed bytes, as they came: escaped, so they cannot drive the terminal.
                let payload = TerminalText.escaped(String(decoding: record.payload.prefix(120), as: UTF8.self))
                return "\(formatTime(record.quarantinedAt))  \(record.reasons.map(\.rawValue).joined(separator: ","))  "
                    + "\(TerminalText.escaped(record.origin.source))\n    \(payload)\(record.payload.count > 120 ? "…" : "")"
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stage quarantined records again, to be validated with the current rules.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var filter: ReasonFilter

        func run() async throws {
            let code = try filter.code()
            let backends = try await Backends.open(try common.settings(checking: "re-drive quarantined records"), create: false)
            let count = try await QuarantineReplay.restage(backends, reason: code)
            await backends.close()
            print(
                "staged \(count) quarantined records again; a running pipeline validates them, "
                    + "or run `stockpipe validate --drain` then `stockpipe load --drain`")
        }
    }
}

/// `--reason` of `quarantine list` and `quarantine replay`.
struct ReasonFilter: ParsableArguments {
    @Option(help: ArgumentHelp("Only records with this reason code.", valueName: "CODE")) var reason: String?

    func code() throws -> ReasonCode? {
        guard let reason else { return nil }
        guard let code = ReasonCode(rawValue: reason) else {
            throw UserError("unknown reason '\(reason)'; reasons are \(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return code
    }
}
