/// Why a record was quarantined. The raw values are stable, documented codes.
public enum ReasonCode: String, CaseIterable, Sendable, Codable {
    case malformed
    case missingField = "missing_field"
    case nullField = "null_field"
    case wrongType = "wrong_type"
    case nonFinite = "non_finite"
    case nonPositivePrice = "non_positive_price"
    case negativeVolume = "negative_volume"
    case invalidSymbol = "invalid_symbol"
    case symbolNotAllowed = "symbol_not_allowed"
    case timestampInFuture = "timestamp_in_future"
    case timestampTooOld = "timestamp_too_old"
    case duplicate
    case priceJump = "price_jump"
    case quoteInconsistent = "quote_inconsistent"
    case noData = "no_data"
    // Appended, not inserted: a code's position is its bit in stored reason masks.
    /// A price, volume or notional (price × volume) beyond what the store and the candles hold
    /// exactly: above `validation.max-price` / `validation.max-volume`, a notional above 10¹⁴, or a
    /// price below 10⁻⁶.
    case outOfRange = "out_of_range"
    /// Passed validation but refused by the store for a reason a retry will not change; the
    /// store's error is kept in the record's origin.
    case storeRejected = "store_rejected"

    /// The codes that can apply to a trade (the rest concern quotes).
    public static let tradeReasons: [ReasonCode] = allCases.filter { $0 != .quoteInconsistent && $0 != .noData && $0 != .storeRejected }

    /// The codes in the order the README documents them: trade rules, then quote rules, then the
    /// load stage's.
    public static let documentedOrder: [ReasonCode] = [
        .malformed, .missingField, .nullField, .wrongType, .nonFinite, .nonPositivePrice, .negativeVolume, .outOfRange,
        .invalidSymbol, .symbolNotAllowed, .timestampInFuture, .timestampTooOld, .duplicate, .priceJump,
        .quoteInconsistent, .noData, .storeRejected,
    ]

    /// This code's bit in ``Reasons``: its position in the documented order.
    var bit: UInt32 { 1 << UInt32(ReasonCode.bitIndex[self]!) }
    private static let bitIndex = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}

/// A set of reasons in their documented order; cheap to build in the validation hot path.
public struct Reasons: Sendable, Equatable {
    public private(set) var bits: UInt32 = 0

    public init() {}
    public init(_ codes: [ReasonCode]) { for code in codes { insert(code) } }
    public init(bits: UInt32) { self.bits = bits }

    public var isEmpty: Bool { bits == 0 }

    public mutating func insert(_ code: ReasonCode) {
        bits |= code.bit
    }

    public var codes: [ReasonCode] {
        ReasonCode.documentedOrder.filter { bits & $0.bit != 0 }
    }
}
