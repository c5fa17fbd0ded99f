import NIOCore

/// The notations of spec section 3: `[short]`, `[int]`, `[string]`, `[long string]`, `[bytes]`,
/// `[short bytes]`, `[string map]`, `[string list]`, `[string multimap]`.
extension ByteBuffer {
    mutating func writeCQLString(_ value: String) {
        writeInteger(UInt16(value.utf8.count))
        writeString(value)
    }

    mutating func writeCQLLongString(_ value: String) {
        writeInteger(Int32(value.utf8.count))
        writeString(value)
    }

    /// `[bytes]`: an int length, -1 for null.
    mutating func writeCQLBytes(_ value: [UInt8]?) {
        guard let value else { writeInteger(Int32(-1)); return }
        writeInteger(Int32(value.count))
        writeBytes(value)
    }

    mutating func writeCQLShortBytes(_ value: [UInt8]) {
        writeInteger(UInt16(value.count))
        writeBytes(value)
    }

    mutating func writeCQLStringMap(_ map: [(String, String)]) {
        writeInteger(UInt16(map.count))
        for (key, value) in map {
            writeCQLString(key)
            writeCQLString(value)
        }
    }

    mutating func readCQLShort() throws(CQLProtocolError) -> UInt16 {
        guard let value: UInt16 = readInteger() else { throw CQLProtocolError("a [short] is cut off") }
        return value
    }

    mutating func readCQLInt() throws(CQLProtocolError) -> Int32 {
        guard let value: Int32 = readInteger() else { throw CQLProtocolError("an [int] is cut off") }
        return value
    }

    mutating func readCQLString() throws(CQLProtocolError) -> String {
        let length = Int(try readCQLShort())
        guard let value = readString(length: length) else { throw CQLProtocolError("a [string] is cut off") }
        return value
    }

    mutating func readCQLLongString() throws(CQLProtocolError) -> String {
        let length = Int(try readCQLInt())
        guard length >= 0, let value = readString(length: length) else { throw CQLProtocolError("a [long string] is cut off") }
        return value
    }

    /// `[bytes]`; nil for null (and, in v4, for "not set").
    mutating func readCQLBytes() throws(CQLProtocolError) -> ByteBuffer? {
        let length = try readCQLInt()
        guard length >= 0 else { return nil }
        guard let value = readSlice(length: Int(length)) else { throw CQLProtocolError("[bytes] of \(length) are cut off") }
        return value
    }

    mutating func readCQLShortBytes() throws(CQLProtocolError) -> [UInt8] {
        let length = Int(try readCQLShort())
        guard let value = readBytes(length: length) else { throw CQLProtocolError("[short bytes] are cut off") }
        return value
    }

    mutating func readCQLStringList() throws(CQLProtocolError) -> [String] {
        let count = Int(try readCQLShort())
        var list: [String] = []
        for _ in 0..<count { list.append(try readCQLString()) }
        return list
    }

    mutating func readCQLStringMultimap() throws(CQLProtocolError) -> [String: [String]] {
        let count = Int(try readCQLShort())
        var map: [String: [String]] = [:]
        for _ in 0..<count { map[try readCQLString()] = try readCQLStringList() }
        return map
    }
}
