import Foundation

/// Times as users type them: Unix milliseconds, ISO 8601 (`2024-11-24T20:00:00Z`, fractional
/// seconds allowed) or a UTC date (`2024-11-24`).
/// Times outside 1970 to 9999 are refused, which also keeps arithmetic on them from overflowing.
public enum TimeText {
    public static let latest: Int64 = 253_402_300_799_999

    public static func parse(_ text: String) -> Int64? {
        guard let time = parseAny(text), (0...latest).contains(time) else { return nil }
        return time
    }

    private static func parseAny(_ text: String) -> Int64? {
        if let milliseconds = Int64(text) { return milliseconds }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
            [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text), let milliseconds = Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded()) {
                return milliseconds
            }
        }
        return nil
    }
}
