import NIOCore

/// Parameters of QUERY and EXECUTE (spec section 4.1.4): consistency, bound values, paging.
public struct QueryParameters: Sendable, Equatable {
    public var consistency: Consistency
    public var values: [CQLValue]
    /// Rows per page (v2+); nil for the server's default.
    public var pageSize: Int32?
    /// Where the previous page ended (v2+).
    public var pagingState: [UInt8]?
    /// A prepared statement's result columns are known: the server may leave them out.
    public var skipMetadata: Bool

    public init(
        consistency: Consistency, values: [CQLValue] = [], pageSize: Int32? = nil, pagingState: [UInt8]? = nil,
        skipMetadata: Bool = false
    ) {
        self.consistency = consistency
        self.values = values
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.skipMetadata = skipMetadata
    }

    /// `<consistency><flags>[<n><value_1>...<value_n>][<result_page_size>][<paging_state>]`, v2 and later.
    func write(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeInteger(consistency.rawValue)
        var flags: UInt8 = 0
        if !values.isEmpty { flags |= 0x01 }
        if skipMetadata { flags |= 0x02 }
        if pageSize != nil { flags |= 0x04 }
        if pagingState != nil { flags |= 0x08 }
        buffer.writeInteger(flags)
        if !values.isEmpty {
            buffer.writeInteger(UInt16(values.count))
            for value in values { value.write(to: &buffer, version: version) }
        }
        if let pageSize { buffer.writeInteger(pageSize) }
        if let pagingState { buffer.writeCQLBytes(pagingState) }
    }
}

/// One statement of a BATCH: CQL text or a prepared id, with its values.
public enum BatchStatement: Sendable, Equatable {
    case query(String, [CQLValue])
    case prepared([UInt8], [CQLValue])
}

/// The requests this client sends, encoded for a protocol version. What a version lacks (BATCH
/// and paging before v2) is refused here, before anything is sent.
public enum CQLRequest: Sendable, Equatable {
    case startup(cqlVersion: String)
    case options
    case query(String, QueryParameters)
    case prepare(String)
    case execute(id: [UInt8], QueryParameters)
    case batch(unlogged: Bool, [BatchStatement], Consistency)
    /// SASL token (v2+); PLAIN is `\0user\0password`.
    case authResponse([UInt8])
    /// v1's way to log in.
    case credentials(username: String, password: String)

    public var opcode: Opcode {
        switch self {
        case .startup: .startup
        case .options: .options
        case .query: .query
        case .prepare: .prepare
        case .execute: .execute
        case .batch: .batch
        case .authResponse: .authResponse
        case .credentials: .credentials
        }
    }

    /// The whole frame: header and body.
    public func frame(stream: Int16, version: ProtocolVersion) throws(CQLProtocolError) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.reserveCapacity(256)
        // The body goes right after the header, whose last field, its length, is set after it.
        FrameHeader(version: version, stream: stream, opcode: opcode, length: 0).write(to: &frame)
        let bodyStart = frame.writerIndex
        try writeBody(to: &frame, version: version)
        frame.setInteger(Int32(frame.writerIndex - bodyStart), at: bodyStart - 4)
        return frame
    }

    func writeBody(to body: inout ByteBuffer, version: ProtocolVersion) throws(CQLProtocolError) {
        switch self {
        case .startup(let cqlVersion):
            body.writeCQLStringMap([("CQL_VERSION", cqlVersion)])
        case .options:
            break
        case .query(let text, let parameters):
            body.writeCQLLongString(text)
            if version == .v1 {
                guard parameters.values.isEmpty, parameters.pageSize == nil, parameters.pagingState == nil else {
                    throw CQLProtocolError("protocol v1 has no bound values or paging in QUERY; prepare the statement")
                }
                body.writeInteger(parameters.consistency.rawValue)
            } else {
                parameters.write(to: &body, version: version)
            }
        case .prepare(let text):
            body.writeCQLLongString(text)
        case .execute(let id, let parameters):
            body.writeCQLShortBytes(id)
            if version == .v1 {
                guard parameters.pageSize == nil, parameters.pagingState == nil else {
                    throw CQLProtocolError("protocol v1 has no paging")
                }
                body.writeInteger(UInt16(parameters.values.count))
                for value in parameters.values { value.write(to: &body, version: version) }
                body.writeInteger(parameters.consistency.rawValue)
            } else {
                parameters.write(to: &body, version: version)
            }
        case .batch(let unlogged, let statements, let consistency):
            guard version.supportsBatch else { throw CQLProtocolError("protocol v1 has no BATCH") }
            body.writeInteger(UInt8(unlogged ? 1 : 0))
            body.writeInteger(UInt16(statements.count))
            for statement in statements {
                let values: [CQLValue]
                switch statement {
                case .query(let text, let bound):
                    body.writeInteger(UInt8(0))
                    body.writeCQLLongString(text)
                    values = bound
                case .prepared(let id, let bound):
                    body.writeInteger(UInt8(1))
                    body.writeCQLShortBytes(id)
                    values = bound
                }
                body.writeInteger(UInt16(values.count))
                for value in values { value.write(to: &body, version: version) }
            }
            body.writeInteger(consistency.rawValue)
            if version >= .v3 { body.writeInteger(UInt8(0)) }
        case .authResponse(let token):
            body.writeCQLBytes(token)
        case .credentials(let username, let password):
            body.writeCQLStringMap([("username", username), ("password", password)])
        }
    }
}
