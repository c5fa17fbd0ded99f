import Foundation
import NIOCore

/// A bound value of the types stockpipe writes and reads, serialised as spec section 6 says.
public enum CQLValue: Sendable, Equatable {
    case null
    /// text, varchar and ascii are all UTF-8 (ASCII a subset) on the wire.
    case text(String)
    case int(Int32)
    case bigint(Int64)
    case float(Float)
    case double(Double)
    case boolean(Bool)
    /// Unix milliseconds.
    case timestamp(Int64)
    /// uuid and timeuuid.
    case uuid(UUID)
    case blob([UInt8])
    case textList([String])

    /// The value's bytes; nil for null. Collections count and size their elements with
    /// `[short]` up to v2 and `[int]` from v3.
    public func serialized(for version: ProtocolVersion) -> [UInt8]? {
        var buffer = ByteBuffer()
        switch self {
        case .null: return nil
        case .text(let value): return Array(value.utf8)
        case .int(let value): buffer.writeInteger(value)
        case .bigint(let value), .timestamp(let value): buffer.writeInteger(value)
        case .float(let value): buffer.writeInteger(value.bitPattern)
        case .double(let value): buffer.writeInteger(value.bitPattern)
        case .boolean(let value): buffer.writeInteger(UInt8(value ? 1 : 0))
        case .uuid(let value): _ = withUnsafeBytes(of: value.uuid) { buffer.writeBytes($0) }
        case .blob(let value): return value
        case .textList(let values):
            if version >= .v3 {
                buffer.writeInteger(Int32(values.count))
                for value in values { buffer.writeCQLBytes(Array(value.utf8)) }
            } else {
                buffer.writeInteger(UInt16(values.count))
                for value in values { buffer.writeCQLShortBytes(Array(value.utf8)) }
            }
        }
        return Array(buffer.readableBytesView)
    }
}
