import StockpipeJSON

/// A trade's identity: a 128-bit digest of its content and its occurrence among identical trades of
/// one message. The same message delivered twice yields the same identities; two identical trades
/// in one message yield two.
public struct TradeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(symbol: String, price: Double, volume: Double, timestamp: Int64, conditions: [String], occurrence: Int) {
        var hasher = StableHasher()
        hasher.combine(symbol)
        hasher.combine(UInt64(bitPattern: timestamp))
        hasher.combine(price.bitPattern)
        hasher.combine(volume.bitPattern)
        for condition in conditions { hasher.combine(condition) }
        hasher.combine(UInt64(conditions.count))
        hasher.combine(UInt64(occurrence))
        (high, low) = hasher.finalize()
    }

    /// 32 lowercase hex digits.
    public var description: String {
        var writer = JSONWriter(capacity: 34)
        writer.hexString(high: high, low: low)
        return String(decoding: writer.bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Parses 32 hex digits.
    public init?(hexBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        for index in 0..<32 {
            let byte = bytes[index]
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte &- UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte &- UInt8(ascii: "a") &+ 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte &- UInt8(ascii: "A") &+ 10)
            default: return nil
            }
            if index < 16 { words.0 = words.0 << 4 | digit } else { words.1 = words.1 << 4 | digit }
        }
        self.init(high: words.0, low: words.1)
    }

    /// Big-endian bytes, so that byte order equals numeric order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[index + 8])
        }
        self.init(high: high, low: low)
    }

    public static func < (lhs: TradeID, rhs: TradeID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// A validated trade, as carried on `stock_data` and kept in the store.
public struct Trade: Sendable, Equatable {
    public var symbol: String
    public var price: Double
    public var volume: Double
    /// Unix milliseconds.
    public var timestamp: Int64
    public var conditions: [String]
    public var id: TradeID

    public init(symbol: String, price: Double, volume: Double, timestamp: Int64, conditions: [String], id: TradeID) {
        self.symbol = symbol
        self.price = price
        self.volume = volume
        self.timestamp = timestamp
        self.conditions = conditions
        self.id = id
    }
}
