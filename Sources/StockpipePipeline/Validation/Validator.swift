import StockpipeJSON
import StockpipeModel

/// Decides, record by record, whether a staged trade is valid, and why not.
///
/// Structural problems come from reading (`missing_field`, `null_field`, `wrong_type`,
/// `non_finite`); value rules follow, and every rule that fails adds its reason. `price_jump` is
/// judged only for trades that pass everything else, against the symbol's last accepted price;
/// those references are the validator's state, committed with its position.
public struct Validator {
    public enum Outcome {
        case valid(Trade)
        case invalid([ReasonCode])
    }

    public let rules: ValidationRules
    private let symbolRegex: Regex<AnyRegexOutput>
    private var symbolVerdicts: [String: Bool] = [:]
    public private(set) var references: [String: Reference] = [:]

    public struct Reference: Sendable, Equatable {
        public var price: Double
        public var timestamp: Int64
    }

    public init(rules: ValidationRules, state: [UInt8]? = nil) throws {
        self.rules = rules
        symbolRegex = try Regex(rules.symbolPattern)
        if let state { references = Self.decodeReferences(state) }
    }

    /// Validates the raw Finnhub trade object in `bytes`, received at `receivedAt` (Unix ms).
    public mutating func validate(tradeJSON bytes: [UInt8], occurrence: Int, receivedAt: Int64) -> Outcome {
        guard let trade = try? FinnhubTrade.parse(bytes) else { return .invalid([.malformed]) }
        var reasons = trade.problems
        if let price = trade.price, price <= 0 { reasons.insert(.nonPositivePrice) }
        if let volume = trade.volume, volume < 0 { reasons.insert(.negativeVolume) }
        if let symbol = trade.symbol {
            if !isWellFormed(symbol) {
                reasons.insert(.invalidSymbol)
            } else if let allowed = rules.allowedSymbols, !allowed.contains(symbol) {
                reasons.insert(.symbolNotAllowed)
            }
        }
        if let timestamp = trade.timestamp {
            if timestamp > receivedAt + rules.maxFutureSkew { reasons.insert(.timestampInFuture) }
            if timestamp < receivedAt - rules.maxAge { reasons.insert(.timestampTooOld) }
        }
        guard reasons.isEmpty, let symbol = trade.symbol, let price = trade.price, let volume = trade.volume,
              let timestamp = trade.timestamp else {
            return .invalid(reasons.isEmpty ? [.malformed] : reasons.codes)
        }
        if let reference = references[symbol], abs(timestamp - reference.timestamp) <= rules.priceJumpWindow,
           abs(price / reference.price - 1) > rules.priceJumpFraction {
            return .invalid([.priceJump])
        }
        if timestamp >= references[symbol]?.timestamp ?? .min {
            references[symbol] = Reference(price: price, timestamp: timestamp)
        }
        let id = TradeID(symbol: symbol, price: price, volume: volume, timestamp: timestamp,
                         conditions: trade.conditions, occurrence: occurrence)
        return .valid(Trade(symbol: symbol, price: price, volume: volume, timestamp: timestamp,
                            conditions: trade.conditions, id: id))
    }

    private mutating func isWellFormed(_ symbol: String) -> Bool {
        if let verdict = symbolVerdicts[symbol] { return verdict }
        let verdict = (try? symbolRegex.wholeMatch(in: symbol)) != nil
        if symbolVerdicts.count > 100_000 { symbolVerdicts.removeAll(keepingCapacity: true) }
        symbolVerdicts[symbol] = verdict
        return verdict
    }

    /// The references as JSON: `{"AAPL":[189.5,1732480000123],...}`.
    public func encodedState() -> [UInt8] {
        var writer = JSONWriter(capacity: 64 * references.count + 2)
        writer.objectStart()
        for (symbol, reference) in references.sorted(by: { $0.key < $1.key }) {
            writer.key(dynamic: symbol)
            writer.arrayStart()
            writer.number(reference.price)
            writer.integer(reference.timestamp)
            writer.arrayEnd()
        }
        writer.objectEnd()
        return writer.bytes
    }

    static func decodeReferences(_ bytes: [UInt8]) -> [String: Reference] {
        var references: [String: Reference] = [:]
        bytes.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            try? reader.forEachMember { key, reader in
                var values: [JSONNumber] = []
                try reader.forEachElement { values.append(try $0.readNumber()) }
                if values.count == 2, let timestamp = values[1].integer {
                    references[key.string] = Reference(price: values[0].double, timestamp: timestamp)
                }
            }
        }
        return references
    }
}
