import Foundation
import StockpipeCore

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

    /// `bytes` with every occurrence of the key replaced by `***`: for what Finnhub sends back,
    /// which may echo the request (and with it the key) and is kept in the log and the quarantine.
    public func redact(_ bytes: [UInt8]) -> [UInt8] {
        let key = Array(value.utf8)
        guard !key.isEmpty, bytes.count >= key.count else { return bytes }
        var result: [UInt8] = []
        var index = 0
        var copied = 0
        while index <= bytes.count - key.count {
            if bytes[index] == key[0], bytes[index..<index + key.count].elementsEqual(key) {
                if result.isEmpty { result.reserveCapacity(bytes.count) }
                result += bytes[copied..<index]
                result += [UInt8(ascii: "*"), UInt8(ascii: "*"), UInt8(ascii: "*")]
                index += key.count
                copied = index
            } else {
                index += 1
            }
        }
        guard copied > 0 else { return bytes }
        result += bytes[copied...]
        return result
    }
}
