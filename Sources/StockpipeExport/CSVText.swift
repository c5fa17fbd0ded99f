import StockpipeCore

/// RFC 4180 rows: a field with a comma, a quote or a line break is quoted, its quotes doubled;
/// rows end with CRLF.
public enum CSVText {
    public static func field(_ value: String) -> String {
        // By byte: by Character it broke every field into graphemes (a fifth of an export's time).
        guard value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return value }
        return "\"" + value.replacing("\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// `2026-12-05T10:12:01.123Z`: what pandas' `parse_dates` and a spreadsheet read as UTC.
    public static func isoTime(_ milliseconds: Int64) -> String { TimeText.isoTime(milliseconds) }

    /// The shortest text that reads back as the same number (`187.5`, `0.07596`, `1e-05`).
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
