import NIOCore
import NIOPosix
import NIOSSL

/// One connection to a Cassandra node: negotiates the protocol version (v4 down to v1), logs in
/// if asked, and carries many requests at once, matched to their answers by stream id.
///
/// ```swift
/// let connection = try await CQLConnection.connect(host: "127.0.0.1", port: 9042)
/// let result = try await connection.query("SELECT release_version FROM system.local")
/// ```
public final class CQLConnection: Sendable {
    let channel: any Channel
    public let version: ProtocolVersion
    public let requestTimeout: Duration

    private init(channel: any Channel, version: ProtocolVersion, requestTimeout: Duration) {
        self.channel = channel
        self.version = version
        self.requestTimeout = requestTimeout
    }

    /// With `tls`, the connection is encrypted and the server's certificate checked against
    /// `host` (the name it was reached by), as the context's configuration says.
    public static func connect(
        host: String, port: Int, username: String? = nil, password: String? = nil,
        tls: NIOSSLContext? = nil,
        timeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(12),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> CQLConnection {
        let credentials = username.map { ConnectionStateMachine.Credentials(username: $0, password: password ?? "") }
        var offering = ProtocolVersion.v4
        while true {
            let handshake = group.next().makePromise(of: ProtocolVersion.self)
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(Self.timeAmount(timeout))
                .channelInitializer { [offering] channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            // SNI and name checks need a name; an address is checked as an address.
                            let name = host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CQLFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(
                            CQLChannelHandler(offering: offering, credentials: credentials, handshake: handshake))
                    }
                }
            let channel: any Channel
            do {
                channel = try await bootstrap.connect(host: host, port: port).get()
            } catch {
                handshake.fail(error)
                throw error
            }
            let timer = channel.eventLoop.scheduleTask(in: Self.timeAmount(timeout)) {
                handshake.fail(CQLConnectionError.timedOut)
                channel.close(promise: nil)
            }
            do {
                let agreed = try await handshake.futureResult.get()
                timer.cancel()
                return CQLConnection(channel: channel, version: agreed, requestTimeout: requestTimeout)
            } catch CQLConnectionError.versionRefused(let lower) {
                timer.cancel()
                try? await channel.closeFuture.get()
                offering = lower
            } catch {
                timer.cancel()
                try? await channel.close()
                throw error
            }
        }
    }

    /// A timeout as NIO schedules it: to the nanosecond (clamped), sub-second part included.
    static func timeAmount(_ timeout: Duration) -> TimeAmount {
        TimeAmount(timeout)
    }

    /// Sends one request and waits for its answer (an ERROR answer is returned, not thrown).
    public func send(_ request: CQLRequest) async throws -> CQLResponse {
        let promise = channel.eventLoop.makePromise(of: CQLResponse.self)
        let timeout = requestTimeout
        let timer = channel.eventLoop.scheduleTask(in: Self.timeAmount(timeout)) {
            promise.fail(CQLConnectionError.timedOut)
        }
        defer { timer.cancel() }
        channel.writeAndFlush(CQLOutbound(request: request, promise: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// A statement without bound values (v1 allows no others); server errors are thrown.
    public func query(_ cql: String, consistency: Consistency = .one) async throws -> CQLResult {
        try Self.result(await send(.query(cql, QueryParameters(consistency: consistency))))
    }

    public func prepare(_ cql: String) async throws -> (id: [UInt8], variables: [CQLColumn]) {
        guard case .prepared(let id, let variables, _) = try Self.result(await send(.prepare(cql))) else {
            throw CQLProtocolError("PREPARE was answered with another result")
        }
        return (id, variables)
    }

    /// Executes a prepared statement; `pageSize` and `pagingState` (v2+) ask for one page of rows.
    public func execute(
        _ id: [UInt8], _ values: [CQLValue], consistency: Consistency = .one,
        pageSize: Int32? = nil, pagingState: [UInt8]? = nil
    ) async throws -> CQLResult {
        try Self.result(
            await send(
                .execute(
                    id: id,
                    QueryParameters(
                        consistency: consistency, values: values,
                        pageSize: pageSize, pagingState: pagingState))))
    }

    /// Several prepared statements in one BATCH (v2+).
    public func batch(_ statements: [([UInt8], [CQLValue])], unlogged: Bool, consistency: Consistency) async throws -> CQLResult {
        try Self.result(await send(.batch(unlogged: unlogged, statements.map { .prepared($0.0, $0.1) }, consistency)))
    }

    public func close() async throws {
        try await channel.close()
    }

    static func result(_ response: CQLResponse) throws -> CQLResult {
        switch response {
        case .result(let result): return result
        case .error(let error): throw error
        default: throw CQLProtocolError("expected a RESULT, got \(response)")
        }
    }
}
