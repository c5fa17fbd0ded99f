import NIOCore

/// The fixed header before every frame: version (the top bit set on responses), flags, stream id,
/// opcode and body length.
public struct FrameHeader: Sendable, Equatable {
    public var version: ProtocolVersion
    public var isResponse: Bool
    public var flags: UInt8
    public var stream: Int16
    public var opcode: Opcode
    public var length: Int32

    /// Bodies above this are refused rather than buffered (the spec's own limit is 256 MB).
    public static let maxBodyLength: Int32 = 256 << 20

    public init(version: ProtocolVersion, isResponse: Bool = false, flags: UInt8 = 0, stream: Int16, opcode: Opcode, length: Int32) {
        self.version = version
        self.isResponse = isResponse
        self.flags = flags
        self.stream = stream
        self.opcode = opcode
        self.length = length
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(version.rawValue | (isResponse ? 0x80 : 0))
        buffer.writeInteger(flags)
        if version >= .v3 { buffer.writeInteger(stream) } else { buffer.writeInteger(Int8(truncatingIfNeeded: stream)) }
        buffer.writeInteger(opcode.rawValue)
        buffer.writeInteger(length)
    }

    /// Reads a header if the buffer holds one whole; nil when more bytes are needed.
    public static func read(from buffer: inout ByteBuffer) throws(CQLProtocolError) -> FrameHeader? {
        guard let first: UInt8 = buffer.getInteger(at: buffer.readerIndex) else { return nil }
        // Servers answer with the response bit set; anything else (an HTTP server says "H") is
        // some other protocol, most likely on a contact point with the wrong port.
        guard first & 0x80 != 0 else {
            let shown = first >= 0x20 && first < 0x7F ? " ('\(Character(Unicode.Scalar(first)))')" : ""
            throw CQLProtocolError(
                "the server does not speak the CQL native protocol (its first byte is 0x\(String(first, radix: 16))\(shown)); check the contact point's port (CQL listens on 9042 by default)"
            )
        }
        guard let version = ProtocolVersion(rawValue: first & 0x7F) else {
            throw CQLProtocolError("the server speaks protocol version \(first & 0x7F), which this client does not")
        }
        guard buffer.readableBytes >= version.headerLength else { return nil }
        buffer.moveReaderIndex(forwardBy: 1)
        let flags: UInt8 = buffer.readInteger()!
        let stream: Int16 = version >= .v3 ? buffer.readInteger()! : Int16(buffer.readInteger(as: Int8.self)!)
        let code: UInt8 = buffer.readInteger()!
        let length: Int32 = buffer.readInteger()!
        guard let opcode = Opcode(rawValue: code) else { throw CQLProtocolError("unknown opcode 0x\(String(code, radix: 16))") }
        guard length >= 0, length <= maxBodyLength else { throw CQLProtocolError("a frame body of \(length) bytes") }
        return FrameHeader(version: version, isResponse: first & 0x80 != 0, flags: flags, stream: stream, opcode: opcode, length: length)
    }
}

/// Bytes that do not follow the protocol: the connection cannot go on.
public struct CQLProtocolError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
