import Foundation

/// The Finnhub API key. It prints as `***`, and ``redact(_:)`` takes it out of any text (an error
/// from a library, a URL) before that text is logged or shown.
public struct FinnhubToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key itself: for the `X-Finnhub-Token` header and the WebSocket URL only.
    public let value: String

    public init?(_ value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        self.value = trimmed
    }

    public var description: String { "***" }
    public var debugDescription: String { "***" }

    public func redact(_ text: String) -> String {
        text.replacingOccurrences(of: value, with: "***")
    }
}
