import NIOCore

/// An ERROR response (spec section 9), with what each kind adds, in words an operator can use.
public struct CQLServerError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case serverError, protocolError, badCredentials
        case unavailable(consistency: UInt16, required: Int32, alive: Int32)
        case overloaded, isBootstrapping, truncateError
        case writeTimeout(consistency: UInt16, received: Int32, blockFor: Int32, writeType: String)
        case readTimeout(consistency: UInt16, received: Int32, blockFor: Int32, dataPresent: Bool)
        case readFailure, functionFailure, writeFailure
        case syntaxError, unauthorized, invalid, configError
        case alreadyExists(keyspace: String, table: String)
        case unprepared(id: [UInt8])
        case other(Int32)
    }

    public var kind: Kind
    public var message: String

    public var description: String {
        switch kind {
        case .unavailable(_, let required, let alive):
            "Cassandra: not enough replicas are up (\(alive) of the \(required) needed): \(message)"
        case .writeTimeout(_, let received, let blockFor, let writeType):
            "Cassandra: write timeout (\(writeType), \(received) of \(blockFor) replicas answered): \(message)"
        case .readTimeout(_, let received, let blockFor, _):
            "Cassandra: read timeout (\(received) of \(blockFor) replicas answered): \(message)"
        case .badCredentials: "Cassandra refused the credentials: \(message)"
        case .unauthorized: "Cassandra: not authorised: \(message)"
        case .syntaxError: "Cassandra: syntax error: \(message)"
        case .invalid: "Cassandra: invalid request: \(message)"
        case .overloaded: "Cassandra is overloaded: \(message)"
        case .protocolError: "Cassandra: protocol error: \(message)"
        default: "Cassandra: \(message)"
        }
    }

    /// Whether the same idempotent request may be tried again, on this node or another.
    public var isRetryable: Bool {
        switch kind {
        case .unavailable, .overloaded, .isBootstrapping, .writeTimeout, .readTimeout, .serverError: true
        default: false
        }
    }

    static func read(from buffer: inout ByteBuffer) throws(CQLProtocolError) -> CQLServerError {
        let code = try buffer.readCQLInt()
        let message = try buffer.readCQLString()
        func byte() throws(CQLProtocolError) -> UInt8 {
            guard let value: UInt8 = buffer.readInteger() else { throw CQLProtocolError("an error's [byte] is cut off") }
            return value
        }
        let kind: Kind
        switch code {
        case 0x0000: kind = .serverError
        case 0x000A: kind = .protocolError
        case 0x0100: kind = .badCredentials
        case 0x1000: kind = .unavailable(consistency: try buffer.readCQLShort(), required: try buffer.readCQLInt(), alive: try buffer.readCQLInt())
        case 0x1001: kind = .overloaded
        case 0x1002: kind = .isBootstrapping
        case 0x1003: kind = .truncateError
        case 0x1100:
            kind = .writeTimeout(
                consistency: try buffer.readCQLShort(), received: try buffer.readCQLInt(),
                blockFor: try buffer.readCQLInt(), writeType: try buffer.readCQLString())
        case 0x1200:
            kind = .readTimeout(
                consistency: try buffer.readCQLShort(), received: try buffer.readCQLInt(),
                blockFor: try buffer.readCQLInt(), dataPresent: try byte() != 0)
        case 0x1300: kind = .readFailure
        case 0x1400: kind = .functionFailure
        case 0x1500: kind = .writeFailure
        case 0x2000: kind = .syntaxError
        case 0x2100: kind = .unauthorized
        case 0x2200: kind = .invalid
        case 0x2300: kind = .configError
        case 0x2400: kind = .alreadyExists(keyspace: try buffer.readCQLString(), table: try buffer.readCQLString())
        case 0x2500: kind = .unprepared(id: try buffer.readCQLShortBytes())
        default: kind = .other(code)
        }
        return CQLServerError(kind: kind, message: message)
    }
}
