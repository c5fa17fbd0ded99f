import StockpipeCore
import StockpipeJSON

extension Validator {
    public enum QuoteOutcome {
        case valid(Quote)
        case invalid([ReasonCode])
    }

    /// Validates a staged quote, `{"type":"quote","symbol":S,"data":{"c","d","dp","h","l","o","pc","t"}}`, received
    /// at `receivedAt` (Unix ms). All-zero prices mean Finnhub has no data for the symbol (`no_data`);
    /// prices that contradict each other are `quote_inconsistent`.
    public mutating func validate(quoteJSON bytes: [UInt8], receivedAt: Int64) -> QuoteOutcome {
        var reasons = Reasons()
        var symbol: String?
        var fields: [String: Double] = [:]
        var sawData = false
        do {
            try bytes.withUnsafeBytes { buffer in
                var reader = JSONReader(buffer)
                try reader.forEachMember { key, reader in
                    if key == "symbol", reader.peekKind() == .string {
                        symbol = try reader.readString()
                    } else if key == "data", reader.peekKind() == .object {
                        sawData = true
                        try reader.forEachMember { field, reader in
                            switch reader.peekKind() {
                            case .number:
                                let value = try reader.readNumber().double
                                if value.isFinite { fields[field.string] = value } else { reasons.insert(.nonFinite) }
                            case .null:
                                _ = reader.consumeNull()
                                if !["d", "dp"].contains(field.string) { reasons.insert(.nullField) }
                            default:
                                try reader.skipValue()
                                reasons.insert(.wrongType)
                            }
                        }
                    } else {
                        try reader.skipValue()
                    }
                }
            }
        } catch {
            return .invalid([.malformed])
        }
        guard sawData else { return .invalid([.malformed]) }
        guard let symbol else { return .invalid([.missingField]) }
        let known = self.facts(for: symbol)
        if !known.wellFormed { reasons.insert(.invalidSymbol) } else if !known.allowed { reasons.insert(.symbolNotAllowed) }
        let required = ["c", "h", "l", "o", "pc", "t"]
        if required.contains(where: { fields[$0] == nil }) && !reasons.codes.contains(.nullField) && !reasons.codes.contains(.wrongType)
            && !reasons.codes.contains(.nonFinite)
        {
            reasons.insert(.missingField)
        }
        guard let current = fields["c"], let high = fields["h"], let low = fields["l"], let open = fields["o"],
            let previousClose = fields["pc"], let seconds = fields["t"]
        else {
            return .invalid(reasons.isEmpty ? [.missingField] : reasons.codes)
        }
        if [current, high, low, open, previousClose].allSatisfy({ $0 == 0 }) {
            reasons.insert(.noData)
        } else {
            if current <= 0 { reasons.insert(.nonPositivePrice) }
            if low > high || current < low || current > high || open < low || open > high { reasons.insert(.quoteInconsistent) }
            if [current, high, low, open, previousClose].contains(where: { abs($0) > rules.maxPrice }) { reasons.insert(.outOfRange) }
            // In Double, so that a `t` of 1e300 seconds is "in the future", not an Int64 overflow.
            let milliseconds = (seconds * 1_000).rounded(.down)
            if milliseconds > Double(receivedAt) + Double(rules.maxFutureSkew) { reasons.insert(.timestampInFuture) }
            if milliseconds < Double(receivedAt) - Double(rules.maxAge) { reasons.insert(.timestampTooOld) }
        }
        guard reasons.isEmpty else { return .invalid(reasons.codes) }
        return .valid(
            Quote(
                symbol: symbol, current: current, change: fields["d"], percentChange: fields["dp"], high: high,
                low: low, open: open, previousClose: previousClose, timestamp: Int64((seconds * 1_000).rounded(.down)),
                receivedAt: receivedAt))
    }
}
