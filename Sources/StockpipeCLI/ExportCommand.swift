import ArgumentParser
import Foundation
import StockpipeApp
import StockpipeCore
import StockpipeExport
import StockpipePipeline

/// `stockpipe export`: the store's trades, candles, quotes or quarantine as CSV or NDJSON, for
/// pandas, a spreadsheet or another database, read page by page so that a year takes no more
/// memory than a minute.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write trades, candles, quotes or the quarantine as CSV or NDJSON, in constant memory whatever the size.",
        discussion: """
            CSV has a header row, times as ISO 8601 UTC and as Unix ms, and CRLF line ends (RFC 4180); NDJSON has one \
            JSON document per line, as the API answers. Rows are oldest first by symbol (the quarantine: newest first). \
            With --out the file appears only when complete. Examples:
              stockpipe export trades --symbol AAPL --from 2024-11-25 --to 2024-11-30 --out aapl.csv
              stockpipe export candles --interval 1h --format ndjson > candles.ndjson
              stockpipe export quarantine --reason price_jump --out jumps.csv
            """)

    @OptionGroup var common: CommonOptions
    @Argument(help: ArgumentHelp("What to export: trades, candles, quotes or quarantine.", valueName: "WHAT")) var kind: String
    @Option(
        name: .customLong("symbol"),
        help: ArgumentHelp("Only this symbol; repeat it or separate with commas for several (default: every symbol).", valueName: "S"))
    var symbols: [String] = []
    @Option(help: ArgumentHelp("From this time: Unix ms, ISO 8601 or YYYY-MM-DD.", valueName: "T")) var from: String?
    @Option(help: ArgumentHelp("Up to this time (inclusive).", valueName: "T")) var to: String?
    @Option(help: ArgumentHelp("Candles: 1m, 5m, 15m, 1h or 1d (default 1m).", valueName: "I")) var interval: String?
    @Option(help: ArgumentHelp("Quarantine: only records with this reason code.", valueName: "CODE")) var reason: String?
    @Option(help: ArgumentHelp("csv or ndjson.", valueName: "F")) var format = "csv"
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "F")) var out: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("At most N rows.", valueName: "N")) var limit: Int?

    func query() throws -> (ExportQuery, ExportFormat) {
        guard let kind = ExportKind(rawValue: kind) else {
            throw UserError("export what? '\(kind)' is not one of \(ExportKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let format = ExportFormat(rawValue: format) else { throw UserError("--format must be csv or ndjson, not '\(format)'") }
        var query = ExportQuery(kind: kind)
        let listed = symbols.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        if !symbols.isEmpty { query.symbols = listed.filter { !$0.isEmpty } }
        query.from = try parseTime(from, flag: "--from")
        query.to = try parseTime(to, flag: "--to")
        if let from = query.from, let to = query.to, from > to { throw UserError("--from is after --to") }
        if let interval {
            guard let length = Candle.intervals[interval] else {
                throw UserError("--interval must be one of \(Candle.intervalNames.joined(separator: ", ")), not '\(interval)'")
            }
            query.interval = length
        }
        if let reason {
            guard let code = ReasonCode(rawValue: reason) else {
                throw UserError("--reason must be a reason code (\(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))), not '\(reason)'")
            }
            query.reason = code
        }
        query.limit = limit
        if let problem = query.problem { throw UserError(problem) }
        return (query, format)
    }

    /// The system's words for a failed write (`No space left on device`), not Foundation's wrapping of them.
    static func reason(_ error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }

    func run() async throws {
        let (query, format) = try query()
        let destination = out.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let settings = try common.settings(checking: "export \(query.kind.rawValue) as \(format.rawValue) to \(destination ?? "standard output")")
        // Written beside the destination and renamed when complete: an interrupted export leaves no
        // file that looks whole.
        // Only a file is replaced: `--out /dev/full` or `--out some-directory` would have been removed and
        // replaced by the export.
        if let destination, let type = try? FileManager.default.attributesOfItem(atPath: destination)[.type] as? FileAttributeType,
            type != .typeRegular
        {
            throw UserError("--out \(destination) is not a regular file; give a file's path, or leave out --out to write to standard output")
        }
        let partial = destination.map { $0 + ".partial" }
        let handle: FileHandle
        if let partial {
            guard FileManager.default.createFile(atPath: partial, contents: nil), let file = FileHandle(forWritingAtPath: partial) else {
                throw UserError("cannot write \(partial): check that its directory exists and is writable")
            }
            handle = file
        } else {
            handle = FileHandle.standardOutput
        }
        let backends = try await Backends.open(settings, create: false)
        let rows: Int
        var bytes = 0
        do {
            rows = try await Exporter(store: backends.store).export(query, as: format) { chunk in
                bytes += chunk.count
                do {
                    try handle.write(contentsOf: chunk)
                } catch {
                    throw UserError("cannot write the export to \(destination ?? "standard output"): \(Self.reason(error))")
                }
            }
        } catch {
            await backends.close()
            if let partial { try? FileManager.default.removeItem(atPath: partial) }
            throw error
        }
        await backends.close()
        if let partial, let destination {
            try handle.close()
            if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
            try FileManager.default.moveItem(atPath: partial, toPath: destination)
        }
        let size = bytes >= 1_048_576 ? String(format: "%.1f MB", Double(bytes) / 1_048_576) : "\(bytes) bytes"
        say("exported \(StatusReport.grouped(Int64(rows))) \(query.kind.rawValue) rows (\(size))" + (destination.map { " to \($0)" } ?? ""))
    }
}
