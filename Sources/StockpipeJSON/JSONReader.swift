/// A forward-only reader over the bytes of one JSON document.
///
/// It never builds a tree: callers walk objects member by member and read the values they
/// care about, skipping the rest. This is what lets validation run at millions of trades per
/// second. Beyond RFC 8259 it accepts the tokens `NaN`, `Infinity` and `-Infinity`, which
/// some feeds emit, so that validation can report them as `non_finite` instead of `malformed`.
///
/// ```swift
/// try bytes.withUnsafeBytes { buffer in
///     var reader = JSONReader(buffer)
///     try reader.forEachMember { key, reader in
///         if key == "p" { price = try reader.readNumber() } else { try reader.skipValue() }
///     }
/// }
/// ```
public struct JSONReader {
    public let bytes: UnsafeRawBufferPointer
    public var index: Int
    @usableFromInline var atFirstMember = false

    public init(_ bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    /// The kind of the next value, after skipping whitespace; `nil` at the end of input.
    public mutating func peekKind() -> JSONValueKind? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"): return .number
        default: return .invalid
        }
    }

    @inline(__always)
    public mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// True when only whitespace remains.
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return index >= bytes.count
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(JSONError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw JSONError(offset: index) }
        index += 1
    }

    @inline(__always)
    mutating func consumeIf(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if index < bytes.count, bytes[index] == byte {
            index += 1
            return true
        }
        return false
    }

    /// Calls `body` for each member of the object at the reader's position. `body` must consume
    /// the member's value (read it or skip it).
    public mutating func forEachMember(
        _ body: (JSONKey, inout JSONReader) throws -> Void
    ) throws {
        try expect(UInt8(ascii: "{"))
        if consumeIf(UInt8(ascii: "}")) { return }
        repeat {
            skipWhitespace()
            let key = try readKey()
            try expect(UInt8(ascii: ":"))
            try body(key, &self)
        } while consumeIf(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// Closure-free object walking for hot paths: call `beginObject()`, then `nextKey()` until it
    /// returns nil, consuming each value in between.
    public mutating func beginObject() throws(JSONError) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        atFirstMember = true
    }

    /// The next key of the object being walked, or nil after its closing brace.
    public mutating func nextKey() throws(JSONError) -> JSONKey? {
        skipWhitespace()
        guard index < bytes.count else { throw JSONError(offset: index) }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            atFirstMember = false  // the enclosing container, if any, has had a value now
            return nil
        }
        if !atFirstMember {
            guard bytes[index] == UInt8(ascii: ",") else { throw JSONError(offset: index) }
            index += 1
            skipWhitespace()
        }
        atFirstMember = false
        let key = try readKey()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Closure-free array walking: `beginArray()`, then `hasNextElement()` before each element.
    public mutating func beginArray() throws(JSONError) {
        try expect(UInt8(ascii: "["))
        atFirstMember = true
    }

    /// Whether another element follows (positioned at it), or false after the closing bracket.
    public mutating func hasNextElement() throws(JSONError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw JSONError(offset: index) }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            atFirstMember = false  // the enclosing container, if any, has had a value now
            return false
        }
        if !atFirstMember {
            guard bytes[index] == UInt8(ascii: ",") else { throw JSONError(offset: index) }
            index += 1
        }
        atFirstMember = false
        return true
    }

    /// Calls `body` for each element of the array at the reader's position; `body` must consume it.
    public mutating func forEachElement(_ body: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if consumeIf(UInt8(ascii: "]")) { return }
        repeat {
            try body(&self)
        } while consumeIf(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    /// Reads `null` if it is next, returning whether it was there.
    public mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n") else { return false }
        guard bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == UInt8(ascii: "l"),
            bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    public mutating func readBool() throws(JSONError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw JSONError(offset: index)
    }

    mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { return false }
        index += count
        return true
    }

    /// Skips a number, checking its grammar but not converting it.
    mutating func skipNumber() throws(JSONError) {
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "I") || bytes[index] == UInt8(ascii: "N"),
            matchLiteral("Infinity") || matchLiteral("NaN")
        {
            return
        }
        let integerStart = index
        skipDigits()
        guard index > integerStart, !(index - integerStart > 1 && bytes[integerStart] == UInt8(ascii: "0")) else {
            throw JSONError(offset: integerStart)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            skipDigits()
            guard index > fractionStart else { throw JSONError(offset: index) }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            let exponentStart = index
            skipDigits()
            guard index > exponentStart else { throw JSONError(offset: index) }
        }
    }

    @inline(__always)
    mutating func skipDigits() {
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
    }

    /// Skips one value of any kind, checking that it is well formed; returns its byte range.
    ///
    /// Without recursion: a line of a hundred thousand `[` costs a small array, not the stack.
    @discardableResult
    public mutating func skipValue() throws(JSONError) -> Range<Int> {
        skipWhitespace()
        let start = index
        // The containers open around the current value, innermost last; true for an object.
        var open = ContainerStack()
        while true {
            skipWhitespace()
            guard let kind = peekKind() else { throw JSONError(offset: index) }
            switch kind {
            case .object:
                index += 1
                if !consumeIf(UInt8(ascii: "}")) {
                    open.append(true)
                    try skipKey()
                    continue
                }
            case .array:
                index += 1
                if !consumeIf(UInt8(ascii: "]")) {
                    open.append(false)
                    continue
                }
            case .string: try skipString()
            case .number: try skipNumber()
            case .bool: _ = try readBool()
            case .null: if !consumeNull() { throw JSONError(offset: index) }
            case .invalid: throw JSONError(offset: index)
            }
            // A value is complete: close what ends after it, up to the next element.
            while let isObject = open.last {
                if consumeIf(UInt8(ascii: ",")) {
                    if isObject { try skipKey() }
                    break
                }
                try expect(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                open.removeLast()
            }
            if open.isEmpty { return start..<index }
        }
    }

    /// Which containers are open, as bits: no allocation until 64 levels deep.
    private struct ContainerStack {
        private var bits: UInt64 = 0
        private var depth = 0
        private var deeper: [Bool] = []

        var last: Bool? {
            if !deeper.isEmpty { return deeper.last }
            return depth == 0 ? nil : bits & (1 << UInt64(depth - 1)) != 0
        }
        var isEmpty: Bool { depth == 0 }

        mutating func append(_ isObject: Bool) {
            if depth < 64 {
                if isObject { bits |= 1 << UInt64(depth) } else { bits &= ~(1 << UInt64(depth)) }
            } else {
                deeper.append(isObject)
            }
            depth += 1
        }

        mutating func removeLast() {
            if depth > 64 { deeper.removeLast() }
            depth -= 1
        }
    }

    private mutating func skipKey() throws(JSONError) {
        skipWhitespace()
        _ = try readKey()
        try expect(UInt8(ascii: ":"))
    }
}

public enum JSONValueKind: Sendable, Equatable {
    case object, array, string, number, bool, null, invalid
}

/// A malformed document; `offset` is the byte where reading stopped.
public struct JSONError: Error, Sendable, Equatable {
    public var offset: Int
    public init(offset: Int) { self.offset = offset }
}
