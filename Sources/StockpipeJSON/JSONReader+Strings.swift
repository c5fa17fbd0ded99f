/// An object key as it appears in the document. Comparing it with a literal costs no allocation.
public struct JSONKey {
    public let bytes: UnsafeRawBufferPointer
    public let hasEscapes: Bool

    /// The key decoded to a `String` (escapes resolved).
    public var string: String {
        if !hasEscapes { return String(decoding: bytes, as: UTF8.self) }
        var reader = JSONReader(bytes)
        return (try? reader.decodeEscaped(upTo: bytes.count)) ?? String(decoding: bytes, as: UTF8.self)
    }

    public static func == (key: JSONKey, literal: StaticString) -> Bool {
        if key.hasEscapes { return key.string == literal.description }
        let count = literal.utf8CodeUnitCount
        guard key.bytes.count == count else { return false }
        let start = literal.utf8Start
        for offset in 0..<count where key.bytes[offset] != start[offset] { return false }
        return true
    }
}

extension JSONReader {
    mutating func readKey() throws(JSONError) -> JSONKey {
        let (range, escaped) = try scanString()
        return JSONKey(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]), hasEscapes: escaped)
    }

    /// The raw bytes of a string value without escapes resolved; for ASCII tokens such as ids.
    public mutating func readStringBytes() throws(JSONError) -> UnsafeRawBufferPointer {
        let (range, _) = try scanString()
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// Reads a string value, resolving escapes. Invalid UTF-8 is replaced, not rejected.
    public mutating func readString() throws(JSONError) -> String {
        let (range, escaped) = try scanString()
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        if !escaped { return String(decoding: slice, as: UTF8.self) }
        var inner = JSONReader(slice)
        return try inner.decodeEscaped(upTo: slice.count)
    }

    mutating func skipString() throws(JSONError) {
        _ = try scanString()
    }

    /// Finds the extent of the string at the reader (quotes excluded) and whether it has escapes.
    mutating func scanString() throws(JSONError) -> (Range<Int>, Bool) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw JSONError(offset: index) }
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let range = start..<index
                index += 1
                return (range, escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 2
                continue
            }
            if byte < 0x20 { throw JSONError(offset: index) }
            index += 1
        }
        throw JSONError(offset: index)
    }

    /// Decodes string content with escapes from the reader's position up to `end`.
    mutating func decodeEscaped(upTo end: Int) throws(JSONError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(end - index)
        while index < end {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard index < end else { throw JSONError(offset: index) }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4(end: end)
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= end,
                    bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try readHex4(end: end)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(character).utf8))
            default: throw JSONError(offset: index - 1)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func readHex4(end: Int) throws(JSONError) -> UInt32 {
        guard index + 4 <= end else { throw JSONError(offset: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONError(offset: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
