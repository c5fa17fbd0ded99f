import Foundation
import Hummingbird
import StockpipeCore

/// The query parameters of an API request, read with clear errors and size limits.
struct APIQuery {
    let parameters: [String: String]

    init(_ request: Request) {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
        self.parameters = parameters
    }

    /// The value as given: an empty one (`?to=`) is a value, and wrong for every parameter here.
    func string(_ name: String) -> String? {
        parameters[name]
    }

    func symbol() throws -> String {
        guard let symbol = string("symbol"), !symbol.isEmpty else { throw APIError.badRequest("symbol is required, e.g. ?symbol=AAPL") }
        guard symbol.utf8.count <= 64 else { throw APIError.badRequest("symbol is longer than 64 bytes") }
        return symbol
    }

    func limit(default value: Int, maximum: Int) throws -> Int {
        guard let text = string("limit") else { return value }
        guard let limit = Int(text), (1...maximum).contains(limit) else {
            throw APIError.badRequest("limit must be a whole number from 1 to \(maximum)")
        }
        return limit
    }

    /// Unix milliseconds, as every time in the API's answers; at most 15 digits, so that no
    /// arithmetic on it overflows.
    func time(_ name: String) throws -> Int64? {
        guard let text = string(name) else { return nil }
        guard text.utf8.count <= 15, text.utf8.allSatisfy({ (48...57).contains($0) }), let time = Int64(text) else {
            throw APIError.badRequest("\(name) must be a time in Unix milliseconds, like 1732480000000")
        }
        return time
    }

    func interval() throws -> Int64 {
        guard let text = string("interval") else { return Candle.oneMinute }
        guard let interval = Candle.intervals[text] else {
            throw APIError.badRequest("interval must be one of \(Candle.intervals.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", "))")
        }
        return interval
    }

    func reason() throws -> ReasonCode? {
        guard let text = string("reason") else { return nil }
        guard let reason = ReasonCode(rawValue: text) else {
            throw APIError.badRequest("reason must be one of \(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return reason
    }
}
