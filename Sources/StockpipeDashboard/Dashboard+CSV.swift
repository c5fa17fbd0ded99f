import Foundation
import Hummingbird
import StockpipeCore

/// The quarantine as CSV, for a spreadsheet or `pandas.read_csv`: what `stockpipe quarantine list`
/// lists, one record per row, newest first. Asked for with `?format=csv` or `Accept: text/csv`.
///
/// ```sh
/// curl -o quarantine.csv 'http://127.0.0.1:8080/api/v1/quarantine?format=csv&reason=price_jump&limit=10000'
/// ```
enum QuarantineCSV {
    static let header = [
        "quarantined_at", "quarantined_at_ms", "reasons", "source", "topic", "partition", "offset", "occurrence",
        "original_size", "truncated", "error", "payload",
    ]

    static func text(_ records: [QuarantineRecord]) -> String {
        var text = row(header)
        for record in records {
            let origin = record.origin.document
            text += row([
                isoTime(record.quarantinedAt), String(record.quarantinedAt), record.reasons.map(\.rawValue).joined(separator: ";"),
                origin.source, origin.topic, String(origin.partition), String(origin.offset), String(origin.occurrence ?? 0),
                origin.originalSize.map(String.init) ?? "", origin.truncated == true ? "true" : "false", origin.error ?? "",
                String(decoding: record.payload, as: UTF8.self),
            ])
        }
        return text
    }

    /// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// `2026-12-05T10:12:01.123Z`.
    static func isoTime(_ milliseconds: Int64) -> String {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(format)
    }
}

extension APIQuery {
    /// CSV when `format=csv`, or with no `format` when the client accepts `text/csv`; JSON otherwise.
    func wantsCSV(accept: String?) throws -> Bool {
        switch string("format") {
        case nil: return accept?.lowercased().contains("text/csv") == true
        case "csv": return true
        case "json": return false
        default: throw APIError.badRequest("format must be json or csv")
        }
    }
}

extension Response {
    static func csv(_ text: String, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(filename)\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
