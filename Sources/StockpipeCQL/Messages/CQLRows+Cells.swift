import NIOCore

extension CQLRows {
    /// Each row's cells read by position, in the order the SELECT named the columns.
    ///
    /// ```swift
    /// let rows = try await client.select("SELECT day, trades FROM ks.symbol_days WHERE symbol = ?", [.text("AAPL")])
    /// for row in rows.cells { print(try row.text(0), try row.int64(1)) }
    /// ```
    public var cells: [CQLCells] { rows.map { CQLCells(values: $0) } }
}

/// One row's cells. A null reads as the type's empty value (0, "", []): Cassandra does not tell
/// a missing cell from a null one, and the store never writes either where it needs a value.
public struct CQLCells: Sendable {
    public let values: [ByteBuffer?]

    public func int64(_ index: Int) throws(CQLProtocolError) -> Int64 {
        guard let buffer = values[index] else { return 0 }
        switch buffer.readableBytes {
        case 8: return buffer.getInteger(at: buffer.readerIndex, as: Int64.self)!
        case 4: return Int64(buffer.getInteger(at: buffer.readerIndex, as: Int32.self)!)
        default: throw CQLProtocolError("column \(index): an integer of \(buffer.readableBytes) bytes")
        }
    }

    public func double(_ index: Int) throws(CQLProtocolError) -> Double {
        guard let buffer = values[index] else { return 0 }
        guard buffer.readableBytes == 8 else { throw CQLProtocolError("column \(index): a double of \(buffer.readableBytes) bytes") }
        return Double(bitPattern: buffer.getInteger(at: buffer.readerIndex, as: UInt64.self)!)
    }

    /// A double column that may be absent.
    public func optionalDouble(_ index: Int) throws(CQLProtocolError) -> Double? {
        values[index] == nil ? nil : try double(index)
    }

    public func text(_ index: Int) -> String {
        guard let buffer = values[index] else { return "" }
        return buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) ?? ""
    }

    public func blob(_ index: Int) -> [UInt8] {
        guard let buffer = values[index] else { return [] }
        return Array(buffer.readableBytesView)
    }

    public func textList(_ index: Int, version: ProtocolVersion) throws(CQLProtocolError) -> [String] {
        guard case .textList(let items) = try CQLValue.decode(values[index], as: .list(.text), version: version) else { return [] }
        return items
    }
}
