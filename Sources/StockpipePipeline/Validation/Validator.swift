import StockpipeCore

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
        /// The trade is stamped ahead of the stream's clock and too few trades after it are known
        /// to tell a gap in the stream from a bad timestamp.
        case undecided
    }

    /// The timestamps of trades staged after the one being judged, and whether there can be more.
    public struct LaterTrades {
        public var timestamps: [Int64]
        public var complete: Bool
        public init(timestamps: [Int64], complete: Bool) {
            self.timestamps = timestamps
            self.complete = complete
        }
    }

    public let rules: ValidationRules
    private let symbolRegex: Regex<AnyRegexOutput>
    /// What is known of each symbol seen, so that one lookup per trade answers every symbol rule.
    private var symbols: [String: SymbolFacts] = [:]
    /// The stream's own time, for `timestamp_in_future` on history.
    public private(set) var clock = StreamClock()

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
            clock.resume(latest: timestamp)
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
    ///
    /// `later` gives the timestamps of up to `count` trades staged after this one; it is asked only
    /// for a trade stamped ahead of the stream's clock (see ``StreamClock``). When it has fewer
    /// than asked and more may come, the outcome is `.undecided`: call again with more records.
    ///
    /// A `redriven` trade (sent through again from the quarantine) is no part of the stream around
    /// it: it is judged against the clock as it stands, and moves neither the clock nor, when it is
    /// ahead of it, anything else.
    public mutating func validate(
        tradeJSON bytes: [UInt8], occurrence: Int, receivedAt: Int64, redriven: Bool = false,
        later: (_ count: Int) -> LaterTrades = { _ in LaterTrades(timestamps: [], complete: true) }
    )
        -> Outcome
    {
        guard let trade = try? FinnhubTrade.parse(bytes) else { return .invalid([.malformed]) }
        var reasons = trade.problems
        if let price = trade.price {
            if price <= 0 {
                reasons.insert(.nonPositivePrice)
            } else if price > rules.maxPrice || price < ValidationRules.minPrice {
                reasons.insert(.outOfRange)
            }
        }
        if let volume = trade.volume {
            if volume < 0 { reasons.insert(.negativeVolume) } else if volume > rules.maxVolume { reasons.insert(.outOfRange) }
        }
        if let price = trade.price, let volume = trade.volume, price * volume > ValidationRules.maxNotional {
            reasons.insert(.outOfRange)
        }
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
            var inTime = true
            if timestamp > receivedAt.addingClamped(rules.maxFutureSkew) {
                reasons.insert(.timestampInFuture)
                inTime = false
            } else if redriven {
                if clock.latest != nil, clock.isAhead(timestamp, receivedAt: receivedAt, skew: rules.maxFutureSkew) {
                    reasons.insert(.timestampInFuture)
                }
                inTime = false  // judged, but not a part of the stream that may move its clock
            } else if clock.isAhead(timestamp, receivedAt: receivedAt, skew: rules.maxFutureSkew) {
                let evidence = later(StreamClock.evidenceCount)
                if evidence.timestamps.count < StreamClock.evidenceCount && !evidence.complete { return .undecided }
                if !StreamClock.confirms(evidence.timestamps, jumpTo: timestamp, skew: rules.maxFutureSkew) {
                    reasons.insert(.timestampInFuture)
                    inTime = false
                }
            }
            if timestamp < receivedAt.addingClamped(-rules.maxAge) {
                reasons.insert(.timestampTooOld)
                inTime = false
            }
            if inTime { clock.advance(to: timestamp, receivedAt: receivedAt) }
        }
        guard reasons.isEmpty, let symbol = trade.symbol, let price = trade.price, let volume = trade.volume,
            let timestamp = trade.timestamp
        else {
            return .invalid(reasons.isEmpty ? [.malformed] : reasons.codes)
        }
        let reference = facts?.reference
        if let reference, case let gap = timestamp.subtractingClamped(reference.timestamp),
            gap <= rules.priceJumpWindow, gap >= -rules.priceJumpWindow, abs(price / reference.price - 1) > rules.priceJumpFraction
        {
            return .invalid([.priceJump])
        }
        // A trade stamped well before the reference (late, or a bad timestamp) does not replace it,
        // so that it cannot take the price-jump rule's reference out of its window.
        if timestamp >= (reference?.timestamp ?? .min).addingClamped(-rules.priceJumpWindow) {
            if let slot { symbols.values[slot].reference = Reference(price: price, timestamp: timestamp) }
        }
        let id = TradeID(
            symbol: symbol, price: price, volume: volume, timestamp: timestamp,
            conditions: trade.conditions, occurrence: occurrence)
        return .valid(
            Trade(
                symbol: symbol, price: price, volume: volume, timestamp: timestamp,
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
