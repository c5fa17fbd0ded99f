/// RFC 4180 rows: a field with a comma, a quote or a line break is quoted, its quotes doubled;
/// rows end with CRLF.
public enum CSVText {
    public static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacing("\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// `2026-12-05T10:12:01.123Z`: what pandas' `parse_dates` and a spreadsheet read as UTC. Exact to
    /// the millisecond (through `Date`, a Double of seconds, .123 could come out as .122) and made
    /// with integers, as it is written for every row of an export.
    public static func isoTime(_ milliseconds: Int64) -> String {
        let day: Int64 = 86_400_000
        let days = milliseconds >= 0 ? milliseconds / day : (milliseconds - day + 1) / day
        let inDay = milliseconds - days * day
        // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func digits(_ value: Int64, _ count: Int) -> String {
            let text = String(value)
            return text.count >= count ? text : String(repeating: "0", count: count - text.count) + text
        }
        return digits(year, 4) + "-" + digits(month, 2) + "-" + digits(dayOfMonth, 2) + "T" + digits(inDay / 3_600_000, 2) + ":"
            + digits(inDay / 60_000 % 60, 2) + ":" + digits(inDay / 1_000 % 60, 2) + "." + digits(inDay % 1_000, 3) + "Z"
    }

    /// The shortest text that reads back as the same number (`187.5`, `0.07596`, `1e-05`).
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
