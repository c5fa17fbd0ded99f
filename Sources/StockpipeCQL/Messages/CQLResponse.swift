import NIOCore

/// A result column: where it lives, its name, its type.
public struct CQLColumn: Sendable, Equatable {
    public var keyspace: String
    public var table: String
    public var name: String
    public var type: CQLDataType
}

/// A page of rows: each cell the value's bytes, nil for null; `pagingState` when more pages follow.
public struct CQLRows: Sendable, Equatable {
    public var columns: [CQLColumn]
    public var rows: [[ByteBuffer?]]
    public var pagingState: [UInt8]?
}

/// A RESULT response (spec section 4.2.5).
public enum CQLResult: Sendable, Equatable {
    case void
    case rows(CQLRows)
    case setKeyspace(String)
    /// The statement's id, its bound variables and (v2+) its result columns.
    case prepared(id: [UInt8], variables: [CQLColumn], resultColumns: [CQLColumn])
    case schemaChange(change: String, keyspace: String)
}

/// The responses a server sends this client.
public enum CQLResponse: Sendable, Equatable {
    case ready
    case authenticate(authenticator: String)
    case supported([String: [String]])
    case result(CQLResult)
    case error(CQLServerError)
    case authChallenge([UInt8]?)
    case authSuccess([UInt8]?)
    /// Pushed events, which this client does not register for.
    case event

    public static func decode(opcode: Opcode, body: inout ByteBuffer, version: ProtocolVersion) throws(CQLProtocolError) -> CQLResponse {
        switch opcode {
        case .ready: return .ready
        case .authenticate: return .authenticate(authenticator: try body.readCQLString())
        case .supported: return .supported(try body.readCQLStringMultimap())
        case .error: return .error(try CQLServerError.read(from: &body))
        case .authChallenge: return .authChallenge(try body.readCQLBytes().map { Array($0.readableBytesView) })
        case .authSuccess: return .authSuccess(try body.readCQLBytes().map { Array($0.readableBytesView) })
        case .event: return .event
        case .result: return .result(try readResult(&body, version: version))
        default: throw CQLProtocolError("a server does not send \(opcode)")
        }
    }

    static func readResult(_ body: inout ByteBuffer, version: ProtocolVersion) throws(CQLProtocolError) -> CQLResult {
        switch try body.readCQLInt() {
        case 0x0001:
            return .void
        case 0x0002:
            let (columns, pagingState) = try readMetadata(&body, version: version, prepared: false)
            let count = try body.readCQLInt()
            guard count >= 0 else { throw CQLProtocolError("a negative row count") }
            var rows: [[ByteBuffer?]] = []
            rows.reserveCapacity(Int(min(count, 100_000)))
            for _ in 0..<count {
                var row: [ByteBuffer?] = []
                row.reserveCapacity(columns.count)
                for _ in columns.indices { row.append(try body.readCQLBytes()) }
                rows.append(row)
            }
            return .rows(CQLRows(columns: columns, rows: rows, pagingState: pagingState))
        case 0x0003:
            return .setKeyspace(try body.readCQLString())
        case 0x0004:
            let id = try body.readCQLShortBytes()
            let variables = try readMetadata(&body, version: version, prepared: true).columns
            let result = version >= .v2 ? try readMetadata(&body, version: version, prepared: false).columns : []
            return .prepared(id: id, variables: variables, resultColumns: result)
        case 0x0005:
            let change = try body.readCQLString()
            if version >= .v3 {
                let target = try body.readCQLString()
                let keyspace = try body.readCQLString()
                if target != "KEYSPACE" { _ = try body.readCQLString() }
                if target == "FUNCTION" || target == "AGGREGATE" { _ = try body.readCQLStringList() }
                return .schemaChange(change: change + " " + target, keyspace: keyspace)
            }
            let keyspace = try body.readCQLString()
            _ = try body.readCQLString()
            return .schemaChange(change: change, keyspace: keyspace)
        case let kind:
            throw CQLProtocolError("unknown result kind \(kind)")
        }
    }

    /// Column metadata; a prepared statement's bound variables carry partition-key indexes in v4.
    static func readMetadata(
        _ body: inout ByteBuffer, version: ProtocolVersion,
        prepared: Bool
    ) throws(CQLProtocolError) -> (columns: [CQLColumn], pagingState: [UInt8]?) {
        let flags = try body.readCQLInt()
        let count = try body.readCQLInt()
        guard (0...65_535).contains(count) else { throw CQLProtocolError("\(count) columns") }
        if prepared && version >= .v4 {
            let keys = try body.readCQLInt()
            for _ in 0..<max(0, keys) { _ = try body.readCQLShort() }
        }
        var pagingState: [UInt8]?
        if flags & 0x0002 != 0 { pagingState = try body.readCQLBytes().map { Array($0.readableBytesView) } }
        guard flags & 0x0004 == 0 else { return ([], pagingState) }
        var global: (String, String)?
        if flags & 0x0001 != 0 { global = (try body.readCQLString(), try body.readCQLString()) }
        var columns: [CQLColumn] = []
        for _ in 0..<count {
            let keyspace: String
            let table: String
            if let global { (keyspace, table) = global } else { (keyspace, table) = (try body.readCQLString(), try body.readCQLString()) }
            columns.append(CQLColumn(keyspace: keyspace, table: table, name: try body.readCQLString(), type: try CQLDataType.read(from: &body)))
        }
        return (columns, pagingState)
    }
}
