import Foundation
import StockpipeCore
import StockpipePipeline

/// Unix milliseconds, ISO 8601 (`2024-11-24T20:00:00Z`, fractional seconds allowed) or a UTC date.
func parseTime(_ text: String?, flag: String) throws -> Int64? {
    guard let text else { return nil }
    if let time = TimeText.parse(text) { return time }
    throw UserError(
        "\(flag) must be Unix milliseconds, an ISO 8601 time like 2024-11-24T20:00:00Z, or a date like 2024-11-24, "
            + "between 1970 and 9999")
}

func formatTime(_ milliseconds: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
}

func formatNumber(_ value: Double, digits: Int? = nil) -> String {
    if let digits { return String(format: "%.\(digits)f", value) }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}

func leftPad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// The first column of a table: a time, 26 wide.
func timeColumn(_ text: String) -> String {
    text.padding(toLength: 26, withPad: " ", startingAt: 0)
}
