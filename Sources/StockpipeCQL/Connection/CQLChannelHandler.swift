import NIOCore

/// A request on its way out, with the promise its response fulfils.
struct CQLOutbound: Sendable {
    var request: CQLRequest
    var promise: EventLoopPromise<CQLResponse>
}

/// Why a connection ended or could not be used.
public enum CQLConnectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server refused the offered version; connect again offering this one.
    case versionRefused(lower: ProtocolVersion)
    case handshakeFailed(String)
    case closed
    case timedOut

    public var description: String {
        switch self {
        case .versionRefused(let lower): "the server refused the protocol version; try \(lower)"
        case .handshakeFailed(let reason): "could not open a CQL session: \(reason)"
        case .closed: "the connection to Cassandra closed"
        case .timedOut: "Cassandra did not answer in time"
        }
    }
}

/// The thin part: runs ``ConnectionStateMachine``'s actions on the channel.
final class CQLChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = CQLFrame
    typealias OutboundIn = CQLOutbound
    typealias OutboundOut = ByteBuffer

    private var machine: ConnectionStateMachine
    private let offered: ProtocolVersion
    private var version: ProtocolVersion
    private var waiting: [Int16: EventLoopPromise<CQLResponse>] = [:]
    /// Requests for which no stream id was free yet.
    private var queued: [CQLOutbound] = []
    let handshake: EventLoopPromise<ProtocolVersion>

    init(offering version: ProtocolVersion, credentials: ConnectionStateMachine.Credentials?, handshake: EventLoopPromise<ProtocolVersion>) {
        machine = ConnectionStateMachine(credentials: credentials)
        offered = version
        self.version = version
        self.handshake = handshake
    }

    func channelActive(context: ChannelHandlerContext) {
        run(machine.connected(offering: offered), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        do {
            let response = try CQLResponse.decode(opcode: frame.header.opcode, body: &frame.body, version: frame.header.version)
            run(machine.received(stream: frame.header.stream, response), context: context)
        } catch {
            failEverything(error, context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = unwrapOutboundIn(data)
        promise?.succeed()
        send(outbound, context: context)
    }

    private func send(_ outbound: CQLOutbound, context: ChannelHandlerContext) {
        guard let action = machine.send(outbound.request) else {
            queued.append(outbound)
            return
        }
        guard case .send(let request, let stream) = action else {
            outbound.promise.fail(CQLConnectionError.closed)
            return
        }
        do {
            let frame = try request.frame(stream: stream, version: version)
            waiting[stream] = outbound.promise
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } catch {
            _ = machine.received(stream: stream, .event)  // hands the stream id back
            outbound.promise.fail(error)
        }
    }

    private func run(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let request, let stream):
            do {
                context.writeAndFlush(wrapOutboundOut(try request.frame(stream: stream, version: version)), promise: nil)
            } catch {
                failEverything(error, context: context)
            }
        case .reconnect(let lower):
            handshake.fail(CQLConnectionError.versionRefused(lower: lower))
            context.close(promise: nil)
        case .handshakeSucceeded(let agreed):
            version = agreed
            handshake.succeed(agreed)
        case .handshakeFailed(let reason):
            handshake.fail(CQLConnectionError.handshakeFailed(reason))
            context.close(promise: nil)
        case .deliver(let stream, let response):
            waiting.removeValue(forKey: stream)?.succeed(response)
            if !queued.isEmpty { send(queued.removeFirst(), context: context) }
        case .nothing:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failEverything(CQLConnectionError.closed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failEverything(error, context: context)
        context.close(promise: nil)
    }

    private func failEverything(_ error: any Error, context: ChannelHandlerContext) {
        handshake.fail(error)
        for promise in waiting.values { promise.fail(error) }
        for outbound in queued { outbound.promise.fail(error) }
        waiting.removeAll()
        queued.removeAll()
    }
}
