import ArgumentParser
import StockpipeApp
import StockpipeCore
import StockpipeJSON
import StockpipePipeline

/// A command that reads rows from the store and prints them (`query trades|candles|quotes`,
/// `quarantine list`, `jobs history`). Each says which options it has and what it reads; they
/// share the rest: `--json` and the settings, the store opened for reading and closed again, and
/// the rows printed as one JSON array (their ``ShownRow/document``) or as lines for people.
protocol RowsQuery: AsyncParsableCommand {
    associatedtype Row: ShownRow
    var query: QueryOptions { get }
    /// What `--check` says the command would do.
    static var purpose: String { get }
    /// Checks the options (before anything is opened) and says what to read.
    func reader() throws -> (any Store) async throws -> [Row]
    /// The rows as lines, for people.
    var text: RowsText<Row> { get }
}

extension RowsQuery {
    func run() async throws {
        let read = try reader()
        let backends = try await Backends.open(try query.common.settings(checking: Self.purpose), create: false)
        let rows: [Row]
        do {
            rows = try await read(backends.store)
        } catch {
            await backends.close()
            throw error
        }
        await backends.close()
        if query.json {
            try printJSON(rows.map(\.document))
        } else if rows.isEmpty {
            print(text.empty)
        } else {
            if let header = text.header { print(header) }
            for row in rows { print(text.line(row)) }
        }
    }
}

/// A row with a JSON form: the API's (Model+Documents.swift, StatusReport+Document.swift).
protocol ShownRow {
    associatedtype Document: Encodable
    var document: Document { get }
}

extension Trade: ShownRow {}
extension Candle: ShownRow {}
extension Quote: ShownRow {}
extension QuarantineRecord: ShownRow {}
extension JobRunEntry: ShownRow {}

/// The options every ``RowsQuery`` has.
struct QueryOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @Flag(help: "One JSON document on stdout.") var json = false

    /// `--limit`, which must be above 0.
    static func limit(_ limit: Int) throws -> Int {
        guard limit > 0 else { throw UserError("--limit must be above 0") }
        return limit
    }
}

/// The rows as people read them: a header, a line per row (which may hold line breaks), or
/// `empty` when there are none.
struct RowsText<Row> {
    var empty: String
    var header: String?
    var line: (Row) -> String
}

/// The symbol and time range of `query trades|candles|quotes`.
struct SymbolRange: ParsableArguments {
    @Option(help: ArgumentHelp("Symbol, e.g. AAPL or BINANCE:BTCUSDT.", valueName: "S")) var symbol: String
    @Option(help: ArgumentHelp("From this time: Unix ms, ISO 8601 or YYYY-MM-DD.", valueName: "T")) var from: String?
    @Option(help: ArgumentHelp("Up to this time (inclusive).", valueName: "T")) var to: String?

    /// `--from` and `--to` in Unix ms.
    func times() throws -> (from: Int64?, to: Int64?) {
        (try parseTime(from, flag: "--from"), try parseTime(to, flag: "--to"))
    }
}

/// `value` as one JSON document on stdout, encoded as the API encodes it (``JSONOutput``), with
/// the controls a terminal might act on escaped.
func printJSON(_ value: some Encodable) throws {
    print(TerminalText.escapedJSON(try JSONOutput.string(value)))
}
