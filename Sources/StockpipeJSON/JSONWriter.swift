/// Appends JSON text to a byte buffer. Numbers are written in their shortest round-trip form,
/// and integral values without a fraction (`150`, not `150.0`).
///
/// ```swift
/// var writer = JSONWriter()
/// writer.objectStart(); writer.key("p"); writer.number(187.51); writer.objectEnd()
/// // writer.bytes == Array(#"{"p":187.51}"#.utf8)
/// ```
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]
    private var needsComma = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func objectStart() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func objectEnd() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func arrayStart() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func arrayEnd() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    public mutating func key(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key that is not a literal (literals go through the cheaper `key(_: StaticString)`).
    public mutating func key(dynamic key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func null() { separate(); bytes.append(contentsOf: [110, 117, 108, 108]) }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: Array((value ? "true" : "false").utf8)) }

    public mutating func integer(_ value: Int64) {
        separate()
        appendInteger(value)
    }

    /// Writes a finite number; a non-finite one is written as `null` since JSON cannot carry it.
    public mutating func number(_ value: Double) {
        separate()
        guard value.isFinite else {
            bytes.append(contentsOf: [110, 117, 108, 108])
            return
        }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            appendInteger(Int64(value))
        } else if !appendShortDecimal(value) {
            bytes.append(contentsOf: value.description.utf8)
        }
    }


    /// Prices and volumes have few decimals: find the fewest that give back exactly this double
    /// (so the text round-trips) and print them as integer and fraction, without a String.
    private mutating func appendShortDecimal(_ value: Double) -> Bool {
        let magnitude = abs(value)
        guard magnitude < 1e9, magnitude >= 1e-6 else { return false }
        for decimals in 1...9 {
            let scale = exactPowerOfTen(decimals)
            let scaled = (magnitude * scale).rounded()
            guard scaled < 9e15 else { return false }
            if scaled / scale == magnitude {
                let units = Int64(scaled)
                let divisor = Int64(scale)
                if value < 0 { bytes.append(UInt8(ascii: "-")) }
                appendInteger(units / divisor)
                bytes.append(UInt8(ascii: "."))
                var fraction = units % divisor
                let start = bytes.count
                bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimals))
                for position in stride(from: start + decimals - 1, through: start, by: -1) {
                    bytes[position] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                return true
            }
        }
        return false
    }

    private mutating func appendInteger(_ value: Int64) {
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var start = 21
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    public mutating func string(_ value: String) {
        separate()
        var value = value
        value.withUTF8 { appendEscaped($0) }
    }

    /// Writes bytes as a JSON string; invalid UTF-8 is replaced so the output stays valid JSON.
    public mutating func string(bytes raw: [UInt8]) {
        string(String(decoding: raw, as: UTF8.self))
    }

    /// Inserts an already-encoded JSON value as is.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    /// 32 lowercase hex digits of a 128-bit value, quoted.
    public mutating func hexString(high: UInt64, low: UInt64) {
        separate()
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 34) { digits in
            digits[0] = UInt8(ascii: "\"")
            for position in 0..<16 {
                digits[1 + position] = JSONWriter.hexDigit(high >> UInt64(60 - 4 * position))
                digits[17 + position] = JSONWriter.hexDigit(low >> UInt64(60 - 4 * position))
            }
            digits[33] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeBufferPointer(digits))
        }
    }

    @inline(__always)
    static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them in one go.
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, JSONWriter.hexDigit(UInt64(byte >> 4)),
                                          JSONWriter.hexDigit(UInt64(byte))])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
