/// The CQL native protocol versions this client speaks. It offers v4 and steps down, as the
/// official drivers do, when a server answers a STARTUP with a protocol error.
public enum ProtocolVersion: UInt8, Sendable, CaseIterable, Comparable {
    case v1 = 1
    case v2, v3, v4

    public static func < (a: ProtocolVersion, b: ProtocolVersion) -> Bool { a.rawValue < b.rawValue }

    /// v1 and v2 number streams with one byte, v3 and later with two.
    var headerLength: Int { self >= .v3 ? 9 : 8 }

    /// The next version to try after this one was refused.
    public var lower: ProtocolVersion? { ProtocolVersion(rawValue: rawValue - 1) }

    /// BATCH, paging, and `[bytes]` values in QUERY came with v2.
    public var supportsBatch: Bool { self >= .v2 }
    public var supportsPaging: Bool { self >= .v2 }
}

/// What a request or response frame carries (spec section 2.4).
public enum Opcode: UInt8, Sendable {
    case error = 0x00
    case startup = 0x01
    case ready = 0x02
    case authenticate = 0x03
    case credentials = 0x04
    case options = 0x05
    case supported = 0x06
    case query = 0x07
    case result = 0x08
    case prepare = 0x09
    case execute = 0x0A
    case register = 0x0B
    case event = 0x0C
    case batch = 0x0D
    case authChallenge = 0x0E
    case authResponse = 0x0F
    case authSuccess = 0x10
}

/// How many replicas must answer (spec section 3, `[consistency]`).
public enum Consistency: UInt16, Sendable {
    case any = 0
    case one, two, three, quorum, all, localQuorum, eachQuorum, serial, localSerial, localOne
}
