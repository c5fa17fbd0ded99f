import Hummingbird
import StockpipeCore
import StockpipeExport

/// The API's trades, candles, quotes and quarantine as CSV or NDJSON, for pandas or a spreadsheet:
/// `?format=csv` (or `ndjson`), or `Accept: text/csv` (or `application/x-ndjson`). Unlike the JSON
/// answers, which stop at 10,000 rows, these stream every row of the range, read from the store
/// page by page (``Exporter``), so a month of trades takes no more memory than a minute.
///
/// ```python
/// pd.read_csv("http://127.0.0.1:8080/api/v1/trades?symbol=AAPL&from=1732492800000&format=csv", parse_dates=["time"])
/// ```
extension Dashboard {
    /// The streamed answer to `query`, named `filename.csv` (or `.ndjson`) for a browser's download.
    func export(_ query: ExportQuery, as format: ExportFormat, filename: String) -> Response {
        let exporter = Exporter(store: backends.store)
        return Response(
            status: .ok,
            headers: [
                .contentType: format.contentType, .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(filename).\(format.rawValue)\"",
            ],
            body: ResponseBody { writer in
                var output = writer
                _ = try await exporter.export(query, as: format) { chunk in
                    try await output.write(ByteBuffer(bytes: chunk))
                }
                try await output.finish(nil)
            })
    }
}

extension APIQuery {
    /// CSV or NDJSON when `format` says so, or with no `format` when the client accepts one of
    /// them (and not JSON first); nil for JSON.
    func exportFormat(accept: String?) throws -> ExportFormat? {
        switch string("format") {
        case nil:
            let accepted = accept?.lowercased() ?? ""
            if accepted.contains("text/csv") { return .csv }
            if accepted.contains("application/x-ndjson") { return .ndjson }
            return nil
        case "csv": return .csv
        case "ndjson": return .ndjson
        case "json": return nil
        default: throw APIError.badRequest("format must be json, csv or ndjson")
        }
    }

    /// `limit` for an export: all rows of the range by default, as for JSON at most 10,000 when given.
    func exportLimit() throws -> Int? {
        string("limit") == nil ? nil : try limit(default: 0, maximum: 10_000)
    }
}
