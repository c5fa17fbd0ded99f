/// Writes JSON text into a buffer it owns. Numbers are written in their shortest round-trip form,
/// and integral values without a fraction (`150`, not `150.0`).
///
/// It is non-copyable so that it can own raw memory: every write is a bounds check and a store,
/// which is what lets validation serialise a trade in well under a microsecond. (A class would
/// pay for dynamic exclusivity checks on every write.)
///
/// ```swift
/// var writer = JSONWriter()
/// writer.objectStart(); writer.key("p"); writer.number(187.51); writer.objectEnd()
/// // writer.bytes == Array(#"{"p":187.51}"#.utf8)
/// ```
public struct JSONWriter: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far.
    public private(set) var count: Int
    private var needsComma: Bool

    public init(capacity initialCapacity: Int = 256) {
        let size = max(initialCapacity, 16)
        storage = .allocate(capacity: size)
        capacity = size
        count = 0
        needsComma = false
    }

    deinit { storage.deallocate() }

    /// Starts over, keeping the buffer.
    public mutating func reset() {
        count = 0
        needsComma = false
    }

    /// A copy of what was written.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    public var string: String { String(decoding: UnsafeBufferPointer(start: storage, count: count), as: UTF8.self) }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        larger.update(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func put(_ buffer: UnsafeBufferPointer<UInt8>) {
        reserve(buffer.count)
        if let base = buffer.baseAddress { (storage + count).update(from: base, count: buffer.count) }
        count += buffer.count
    }

    @inline(__always)
    private mutating func put(_ literal: StaticString) {
        put(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inline(__always) private mutating func separate() {
        if needsComma { put(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func objectStart() { separate(); put(UInt8(ascii: "{")); needsComma = false }
    public mutating func objectEnd() { put(UInt8(ascii: "}")); needsComma = true }
    public mutating func arrayStart() { separate(); put(UInt8(ascii: "[")); needsComma = false }
    public mutating func arrayEnd() { put(UInt8(ascii: "]")); needsComma = true }

    /// A literal key, e.g. `writer.key("price")`.
    public mutating func key(_ key: StaticString) {
        reserve(key.utf8CodeUnitCount + 4)
        if needsComma { put(UInt8(ascii: ",")) }
        put(UInt8(ascii: "\""))
        put(key)
        put(UInt8(ascii: "\""))
        put(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key that is not a literal.
    public mutating func key(dynamic key: String) {
        string(key)
        put(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func null() { separate(); put("null") }
    public mutating func bool(_ value: Bool) { separate(); put(value ? "true" : "false") }

    public mutating func integer(_ value: Int64) {
        separate()
        appendInteger(value)
    }

    /// Writes a finite number; a non-finite one is written as `null` since JSON cannot carry it.
    public mutating func number(_ value: Double) {
        separate()
        guard value.isFinite else {
            put("null")
            return
        }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            appendInteger(Int64(value))
        } else if !appendShortDecimal(value) {
            var text = value.description
            text.withUTF8 { put($0) }
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
                if value < 0 { put(UInt8(ascii: "-")) }
                appendInteger(units / divisor)
                reserve(decimals + 1)
                storage[count] = UInt8(ascii: ".")
                var fraction = units % divisor
                for position in stride(from: decimals, through: 1, by: -1) {
                    storage[count + position] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                count += decimals + 1
                return true
            }
        }
        return false
    }

    private mutating func appendInteger(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat {
            digits += 1
            probe /= 10
        } while probe > 0
        if value < 0 {
            storage[count] = UInt8(ascii: "-")
            count += 1
        }
        for position in stride(from: digits - 1, through: 0, by: -1) {
            storage[count + position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        }
        count += digits
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
        json.withUnsafeBufferPointer { put($0) }
    }

    /// 32 lowercase hex digits of a 128-bit value, quoted.
    public mutating func hexString(high: UInt64, low: UInt64) {
        separate()
        reserve(34)
        storage[count] = UInt8(ascii: "\"")
        for position in 0..<16 {
            storage[count + 1 + position] = JSONWriter.hexDigit(high >> UInt64(60 - 4 * position))
            storage[count + 17 + position] = JSONWriter.hexDigit(low >> UInt64(60 - 4 * position))
        }
        storage[count + 33] = UInt8(ascii: "\"")
        count += 34
    }

    @inline(__always)
    static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        put(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them in one go.
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            put(utf8)
            put(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): put("\\\"")
            case UInt8(ascii: "\\"): put("\\\\")
            case 0x0A: put("\\n")
            case 0x0D: put("\\r")
            case 0x09: put("\\t")
            case 0..<0x20:
                put("\\u00")
                put(JSONWriter.hexDigit(UInt64(byte >> 4)))
                put(JSONWriter.hexDigit(UInt64(byte)))
            default: put(byte)
            }
        }
        put(UInt8(ascii: "\""))
    }
}
