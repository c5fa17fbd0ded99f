import StockpipeJSON

/// The fields of one raw Finnhub trade object (`{"s","p","t","v","c"}`) as read, with the
/// structural problems found while reading them. Value rules (ranges, symbols, time) are the
/// validator's business.
public struct FinnhubTrade: Sendable {
    public var symbol: String?
    public var price: Double?
    public var volume: Double?
    public var timestamp: Int64?
    public var conditions: [String] = []
    public var problems = Reasons()

    public init() {}

    /// Reads a trade object. Throws only when the bytes are not JSON at all.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> FinnhubTrade {
        var reader = JSONReader(bytes)
        let trade = try parse(&reader)
        guard reader.isAtEnd() else { throw JSONError(offset: reader.index) }
        return trade
    }

    public static func parse(_ bytes: [UInt8]) throws -> FinnhubTrade {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    /// Reads a trade object at the reader's position.
    public static func parse(_ reader: inout JSONReader) throws -> FinnhubTrade {
        var trade = FinnhubTrade()
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            trade.problems.insert(.wrongType)
            return trade
        }
        var seen: UInt8 = 0
        try reader.beginObject()
        while let key = try reader.nextKey() {
            // Single-letter keys: compare the byte, not the string.
            let letter = key.bytes.count == 1 && !key.hasEscapes ? key.bytes[0] : 0
            switch letter {
            case UInt8(ascii: "s"):
                seen |= 1
                trade.symbol = trade.readString(&reader)
            case UInt8(ascii: "p"):
                seen |= 2
                trade.price = try trade.readNumber(&reader)
            case UInt8(ascii: "t"):
                seen |= 4
                trade.timestamp = try trade.readTimestamp(&reader)
            case UInt8(ascii: "v"):
                seen |= 8
                trade.volume = try trade.readNumber(&reader)
            case UInt8(ascii: "c"):
                trade.conditions = try trade.readConditions(&reader)
            default:
                try reader.skipValue()
            }
        }
        if seen != 0b1111 { trade.problems.insert(.missingField) }
        return trade
    }

    private mutating func readString(_ reader: inout JSONReader) -> String? {
        switch reader.peekKind() {
        case .string: return try? reader.readString()
        case .null: _ = reader.consumeNull(); problems.insert(.nullField)
        default: _ = try? reader.skipValue(); problems.insert(.wrongType)
        }
        return nil
    }

    private mutating func readNumber(_ reader: inout JSONReader) throws -> Double? {
        switch reader.peekKind() {
        case .number:
            let number = try reader.readNumber()
            guard number.double.isFinite else {
                problems.insert(.nonFinite)
                return nil
            }
            return number.double
        case .null: _ = reader.consumeNull(); problems.insert(.nullField)
        default: try reader.skipValue(); problems.insert(.wrongType)
        }
        return nil
    }

    private mutating func readTimestamp(_ reader: inout JSONReader) throws -> Int64? {
        switch reader.peekKind() {
        case .number:
            let number = try reader.readNumber()
            if !number.double.isFinite {
                problems.insert(.nonFinite)
            } else if let integer = number.integer {
                return integer
            } else if number.double == number.double.rounded() {
                // A whole number too long to be read exactly: a time far in the future or past,
                // which the time rules judge; held at the ends of Int64.
                if abs(number.double) < 0x1p63 { return Int64(number.double) }
                return number.double > 0 ? .max : .min
            } else {
                problems.insert(.wrongType)
            }
        case .null: _ = reader.consumeNull(); problems.insert(.nullField)
        default: try reader.skipValue(); problems.insert(.wrongType)
        }
        return nil
    }

    private mutating func readConditions(_ reader: inout JSONReader) throws -> [String] {
        switch reader.peekKind() {
        case .null:
            _ = reader.consumeNull()
            return []
        case .array:
            var conditions: [String] = []
            var badElement = false
            try reader.beginArray()
            while try reader.hasNextElement() {
                switch reader.peekKind() {
                case .string: conditions.append(try reader.readString())
                case .number:
                    let number = try reader.readNumber()
                    if let integer = number.integer { conditions.append(String(integer)) } else { badElement = true }
                default:
                    try reader.skipValue()
                    badElement = true
                }
            }
            if badElement { problems.insert(.wrongType) }
            return conditions
        default:
            try reader.skipValue()
            problems.insert(.wrongType)
            return []
        }
    }

    /// Just the symbol of a trade object, without reading the rest; nil when absent or not a string.
    public static func symbol(in bytes: UnsafeRawBufferPointer) -> String? {
        var reader = JSONReader(bytes)
        var symbol: String?
        do {
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key.bytes.count == 1, key.bytes[0] == UInt8(ascii: "s"), reader.peekKind() == .string {
                    symbol = try reader.readString()
                } else {
                    try reader.skipValue()
                }
            }
        } catch {
            return nil
        }
        return symbol
    }

    /// The identity this trade would have at the given occurrence, when its fields are usable.
    public func identity(occurrence: Int) -> TradeID? {
        guard let symbol, let price, let volume, let timestamp else { return nil }
        return TradeID(
            symbol: symbol, price: price, volume: volume, timestamp: timestamp,
            conditions: conditions, occurrence: occurrence)
    }
}
