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
        guard self != .null else { return nil }
        var buffer = ByteBuffer()
        write(to: &buffer, version: version)
        return Array(buffer.readableBytesView.dropFirst(4))
    }

    /// Writes the value as `[bytes]` (its length, -1 for null, then its bytes) straight into a
    /// frame: no buffer of its own, which halves the cost of encoding an EXECUTE.
    func write(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        switch self {
        case .null: buffer.writeInteger(Int32(-1))
        case .text(let value):
            buffer.writeInteger(Int32(value.utf8.count))
            buffer.writeString(value)
        case .int(let value): buffer.writeInteger(Int32(4)); buffer.writeInteger(value)
        case .bigint(let value), .timestamp(let value): buffer.writeInteger(Int32(8)); buffer.writeInteger(value)
        case .float(let value): buffer.writeInteger(Int32(4)); buffer.writeInteger(value.bitPattern)
        case .double(let value): buffer.writeInteger(Int32(8)); buffer.writeInteger(value.bitPattern)
        case .boolean(let value): buffer.writeInteger(Int32(1)); buffer.writeInteger(UInt8(value ? 1 : 0))
        case .uuid(let value):
            buffer.writeInteger(Int32(16))
            _ = withUnsafeBytes(of: value.uuid) { buffer.writeBytes($0) }
        case .blob(let value):
            buffer.writeInteger(Int32(value.count))
            buffer.writeBytes(value)
        case .textList(let values):
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(Int32(0))
            if version >= .v3 {
                buffer.writeInteger(Int32(values.count))
                for value in values { buffer.writeCQLBytes(Array(value.utf8)) }
            } else {
                buffer.writeInteger(UInt16(values.count))
                for value in values { buffer.writeCQLShortBytes(Array(value.utf8)) }
            }
            buffer.setInteger(Int32(buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
        }
    }
}

extension CQLValue {
    /// Reads a cell of `type`; nil bytes are null. Types stockpipe does not use are refused.
    public static func decode(_ bytes: ByteBuffer?, as type: CQLDataType, version: ProtocolVersion) throws(CQLProtocolError) -> CQLValue {
        guard var bytes else { return .null }
        func whole<T: FixedWidthInteger>(_: T.Type) throws(CQLProtocolError) -> T {
            guard bytes.readableBytes == MemoryLayout<T>.size, let value: T = bytes.readInteger() else {
                throw CQLProtocolError("a \(type) value of \(bytes.readableBytes) bytes")
            }
            return value
        }
        switch type {
        case .text, .varchar, .ascii: return .text(bytes.readString(length: bytes.readableBytes) ?? "")
        case .int: return .int(try whole(Int32.self))
        case .bigint, .counter: return .bigint(try whole(Int64.self))
        case .timestamp: return .timestamp(try whole(Int64.self))
        case .float: return .float(Float(bitPattern: try whole(UInt32.self)))
        case .double: return .double(Double(bitPattern: try whole(UInt64.self)))
        case .boolean: return .boolean(try whole(UInt8.self) != 0)
        case .blob: return .blob(Array(bytes.readableBytesView))
        case .uuid, .timeuuid:
            guard bytes.readableBytes == 16, let raw = bytes.readBytes(length: 16) else {
                throw CQLProtocolError("a uuid of \(bytes.readableBytes) bytes")
            }
            return .uuid(
                UUID(
                    uuid: (
                        raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10], raw[11],
                        raw[12], raw[13], raw[14], raw[15]
                    )))
        case .list(let element) where [.text, .varchar, .ascii].contains(element):
            var items: [String] = []
            let count = version >= .v3 ? Int(try bytes.readCQLInt()) : Int(try bytes.readCQLShort())
            for _ in 0..<max(0, count) {
                let length = version >= .v3 ? Int(try bytes.readCQLInt()) : Int(try bytes.readCQLShort())
                guard length >= 0, let item = bytes.readString(length: length) else { throw CQLProtocolError("a list element is cut off") }
                items.append(item)
            }
            return .textList(items)
        default:
            throw CQLProtocolError("values of type \(type) are not read by this client")
        }
    }
}
