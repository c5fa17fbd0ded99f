import StockpipeLog
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
    /// What is known of each symbol seen, so that one lookup per trade answers every symbol rule.
    private var symbols: [String: SymbolFacts] = [:]

    struct SymbolFacts {
        var wellFormed: Bool
        var allowed: Bool
        var reference: Reference?
    }

    /// The last accepted price of each symbol: the validator's state.
    public var references: [String: Reference] {
        symbols.compactMapValues(\.reference)
    }

    public struct Reference: Sendable, Equatable {
        public var price: Double
        public var timestamp: Int64
    }

    public init(rules: ValidationRules) throws {
        self.rules = rules
        symbolRegex = try Regex(rules.symbolPattern)
    }

    /// Takes up references committed earlier (`"189.5 1732480000123"`: price, then time), replacing
    /// what is known of those symbols: after a rebalance, the committed state is the right one.
    public mutating func resume(_ state: KeyedState) {
        for (symbol, text) in state {
            let parts = text.split(separator: " ")
            guard parts.count == 2, let price = Double(parts[0]), let timestamp = Int64(parts[1]) else { continue }
            var facts = symbols[symbol] ?? self.facts(for: symbol)
            facts.reference = Reference(price: price, timestamp: timestamp)
            if symbols[symbol] != nil || symbols.count < Self.maxSymbols { symbols[symbol] = facts }
        }
    }

    /// The references, to commit with the position.
    public func state() -> KeyedState {
        var state: KeyedState = [:]
        state.reserveCapacity(symbols.count)
        for (symbol, facts) in symbols {
            if let reference = facts.reference { state[symbol] = "\(reference.price) \(reference.timestamp)" }
        }
        return state
    }

    /// Validates the raw Finnhub trade object in `bytes`, received at `receivedAt` (Unix ms).
    public mutating func validate(tradeJSON bytes: [UInt8], occurrence: Int, receivedAt: Int64) -> Outcome {
        guard let trade = try? FinnhubTrade.parse(bytes) else { return .invalid([.malformed]) }
        var reasons = trade.problems
        if let price = trade.price, price <= 0 { reasons.insert(.nonPositivePrice) }
        if let volume = trade.volume, volume < 0 { reasons.insert(.negativeVolume) }
        var facts: SymbolFacts?
        var slot: Dictionary<String, SymbolFacts>.Index?
        if let symbol = trade.symbol {
            slot = lookup(symbol)
            let known = slot.map { symbols.values[$0] } ?? self.facts(for: symbol)
            facts = known
            if !known.wellFormed {
                reasons.insert(.invalidSymbol)
            } else if !known.allowed {
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
        let reference = facts?.reference
        if let reference, abs(timestamp - reference.timestamp) <= rules.priceJumpWindow,
           abs(price / reference.price - 1) > rules.priceJumpFraction {
            return .invalid([.priceJump])
        }
        if timestamp >= reference?.timestamp ?? .min {
            if let slot { symbols.values[slot].reference = Reference(price: price, timestamp: timestamp) }
        }
        let id = TradeID(symbol: symbol, price: price, volume: volume, timestamp: timestamp,
                         conditions: trade.conditions, occurrence: occurrence)
        return .valid(Trade(symbol: symbol, price: price, volume: volume, timestamp: timestamp,
                            conditions: trade.conditions, id: id))
    }

    /// Symbols remembered at most; a feed of endless junk symbols must not grow memory without bound.
    static let maxSymbols = 100_000

    /// The facts of `symbol`, remembered (up to ``maxSymbols``) so the pattern runs once per symbol.
    /// Where the facts of `symbol` are kept, adding them (up to ``maxSymbols``) so that the pattern
    /// runs once per symbol; nil when the table is full and the symbol new.
    private mutating func lookup(_ symbol: String) -> Dictionary<String, SymbolFacts>.Index? {
        if let slot = symbols.index(forKey: symbol) { return slot }
        guard symbols.count < Self.maxSymbols else { return nil }
        symbols[symbol] = facts(for: symbol)
        return symbols.index(forKey: symbol)
    }

    func facts(for symbol: String) -> SymbolFacts {
        let wellFormed = (try? symbolRegex.wholeMatch(in: symbol)) != nil
        return SymbolFacts(wellFormed: wellFormed, allowed: rules.allowedSymbols?.contains(symbol) ?? true, reference: nil)
    }
}
