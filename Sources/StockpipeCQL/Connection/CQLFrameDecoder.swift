import NIOCore

/// A whole frame as it came: its header and its body.
struct CQLFrame: Sendable {
    var header: FrameHeader
    var body: ByteBuffer
}

/// Cuts the byte stream into frames; bodies over the protocol's limit close the connection.
struct CQLFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = CQLFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var peek = buffer
        guard let header = try FrameHeader.read(from: &peek), let body = peek.readSlice(length: Int(header.length)) else {
            return .needMoreData
        }
        buffer.moveReaderIndex(to: peek.readerIndex)
        context.fireChannelRead(wrapInboundOut(CQLFrame(header: header, body: body)))
        return .continue
    }
}
