import NIOCore

/// A column's type as result metadata gives it (spec section 4.2.5.2, `[option]`).
public indirect enum CQLDataType: Sendable, Equatable {
    case custom(String)
    case ascii, bigint, blob, boolean, counter, decimal, double, float, int, text, timestamp, uuid, varchar, varint
    case timeuuid, inet, date, time, smallint, tinyint, duration
    case list(CQLDataType)
    case set(CQLDataType)
    case map(CQLDataType, CQLDataType)
    case udt(keyspace: String, name: String, fields: [(String, CQLDataType)])
    case tuple([CQLDataType])

    public static func == (a: CQLDataType, b: CQLDataType) -> Bool { String(describing: a) == String(describing: b) }

    static func read(from buffer: inout ByteBuffer) throws(CQLProtocolError) -> CQLDataType {
        let id = try buffer.readCQLShort()
        switch id {
        case 0x0000: return .custom(try buffer.readCQLString())
        case 0x0001: return .ascii
        case 0x0002: return .bigint
        case 0x0003: return .blob
        case 0x0004: return .boolean
        case 0x0005: return .counter
        case 0x0006: return .decimal
        case 0x0007: return .double
        case 0x0008: return .float
        case 0x0009: return .int
        case 0x000A: return .text
        case 0x000B: return .timestamp
        case 0x000C: return .uuid
        case 0x000D: return .varchar
        case 0x000E: return .varint
        case 0x000F: return .timeuuid
        case 0x0010: return .inet
        case 0x0011: return .date
        case 0x0012: return .time
        case 0x0013: return .smallint
        case 0x0014: return .tinyint
        case 0x0015: return .duration
        case 0x0020: return .list(try read(from: &buffer))
        case 0x0021: return .map(try read(from: &buffer), try read(from: &buffer))
        case 0x0022: return .set(try read(from: &buffer))
        case 0x0030:
            let keyspace = try buffer.readCQLString()
            let name = try buffer.readCQLString()
            var fields: [(String, CQLDataType)] = []
            for _ in 0..<Int(try buffer.readCQLShort()) { fields.append((try buffer.readCQLString(), try read(from: &buffer))) }
            return .udt(keyspace: keyspace, name: name, fields: fields)
        case 0x0031:
            var elements: [CQLDataType] = []
            for _ in 0..<Int(try buffer.readCQLShort()) { elements.append(try read(from: &buffer)) }
            return .tuple(elements)
        default:
            throw CQLProtocolError("unknown column type 0x\(String(id, radix: 16))")
        }
    }
}
