import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import StockpipeCore
import Synchronization

/// Hummingbird's HTTP/1 server with limits on what one client can hold: a connection cap, a time
/// to send each request's head, and an idle timeout between requests (Hummingbird's own).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel
    let connections: ConnectionCount
    let maxConnections: Int
    let headerTimeout: TimeAmount

    static func builder(_ configuration: DashboardConfiguration) -> HTTPServerBuilder {
        let connections = ConnectionCount()
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(
                http1: HTTP1Channel(
                    responder: responder,
                    configuration: .init(
                        additionalChannelHandlers: [RequestHeadWatcher()],
                        idleTimeout: TimeAmount(configuration.idleTimeout))),
                connections: connections, maxConnections: configuration.maxConnections,
                headerTimeout: TimeAmount(configuration.headerTimeout))
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let guardHandler = ConnectionGuard(connections: connections, maxConnections: maxConnections, headerTimeout: headerTimeout)
            try channel.pipeline.syncOperations.addHandler(guardHandler, position: .first)
        }.flatMap {
            http1.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// The dashboard's open connections, over all event loops.
final class ConnectionCount: Sendable {
    let open = Atomic<Int>(0)
}

/// First in each connection's pipeline, on the bytes. Counts the connection, and answers one over
/// the cap with a 503 and closes it; closes a connection whose request head has not arrived
/// `headerTimeout` after it connected, or after the first byte of a request that follows.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let connections: ConnectionCount
    let maxConnections: Int
    let headerTimeout: TimeAmount
    private var started = false
    private var counted = false
    private var rejected = false
    /// Request heads read whose responses have not ended: while one is open the client owes no head.
    private var requestsInFlight = 0
    private var headerDeadline: Scheduled<Void>?

    init(connections: ConnectionCount, maxConnections: Int, headerTimeout: TimeAmount) {
        self.connections = connections
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        start(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if rejected { return }
        if requestsInFlight == 0 && headerDeadline == nil { armHeaderDeadline(context) }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if rejected, case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request head was read (from ``RequestHeadWatcher``).
    func headReceived() {
        requestsInFlight += 1
        headerDeadline?.cancel()
        headerDeadline = nil
    }

    /// A response ended (from ``RequestHeadWatcher``); the next request's clock starts with its first byte.
    func responseEnded() {
        requestsInFlight = max(0, requestsInFlight - 1)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        counted = true
        if connections.open.wrappingAdd(1, ordering: .relaxed).newValue > maxConnections {
            reject(context)
        } else {
            armHeaderDeadline(context)
        }
    }

    private func finish() {
        headerDeadline?.cancel()
        headerDeadline = nil
        if counted {
            counted = false
            connections.open.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    private func armHeaderDeadline(_ context: ChannelHandlerContext) {
        headerDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) {
            self.headerDeadline = nil
            if self.requestsInFlight == 0 { context.close(promise: nil) }
        }
    }

    /// Says 503 and closes: the answer is sent, the sending side shut, and whatever the client
    /// still sends read and dropped for up to a second, so that it reads the answer rather than a reset.
    private func reject(_ context: ChannelHandlerContext) {
        rejected = true
        finish()
        let body = #"{"error":"too many connections; try again shortly"}"#
        let text =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
            + "retry-after: 1\r\nconnection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)))
            .assumeIsolated().whenComplete { _ in
                context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            }
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
    }
}

/// After the HTTP decoder: tells the connection's ``ConnectionGuard`` when a request head has
/// arrived and when its response has ended.
final class RequestHeadWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var connectionGuard: ConnectionGuard?

    func handlerAdded(context: ChannelHandlerContext) {
        connectionGuard = try? context.pipeline.syncOperations.handler(type: ConnectionGuard.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { connectionGuard?.headReceived() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { connectionGuard?.responseEnded() }
        context.write(data, promise: promise)
    }
}
