import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import Synchronization
import UnixSignals

/// A Finnhub-compatible server fed by the simulator: `GET /api/v1/quote` and the WebSocket trade
/// stream at `/`, with the faults of ``FinnhubServerConfiguration/Faults``. `stockpipe dev
/// finnhub-server` runs it for offline demos; the tests run it in process.
public final class FinnhubServer: Sendable {
    /// What the server saw, for tests and for its own log.
    public struct Counters: Sendable {
        public var connections = 0
        public var subscriptions = 0
        public var messages = 0
        public var restCalls = 0
        public var rateLimited = 0
        public var unauthorised = 0
    }

    public let configuration: FinnhubServerConfiguration
    let counters = Mutex(Counters())
    let limiter: CallWindow
    let market: QuoteMarket
    private let boundPort = Mutex<Int?>(nil)

    public init(_ configuration: FinnhubServerConfiguration) {
        self.configuration = configuration
        limiter = CallWindow(perSecond: configuration.faults.callsPerSecond, perMinute: configuration.faults.callsPerMinute)
        market = QuoteMarket(seed: configuration.seed)
    }

    public var stats: Counters { counters.withLock { $0 } }
    /// The port it listens on, once it does.
    public var port: Int? { boundPort.withLock { $0 } }

    func authorised(_ token: String?) -> Bool {
        guard let expected = configuration.token else { return !(token ?? "").isEmpty }
        return token == expected
    }

    /// Serves until the task is cancelled, or until one of `shutdownSignals` (then gracefully).
    public func run(logger: Logger = Logger(label: "stockpipe.finnhub-server"), shutdownSignals: [UnixSignal] = []) async throws {
        let address = BindAddress.hostname(configuration.host, port: configuration.port)
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            self.boundPort.withLock { $0 = channel.localAddress?.port }
        }
        let router = restRouter()
        let webSocket = webSocketRouter()
        if let tls = configuration.tls {
            var settings = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem)))
            settings.minimumTLSVersion = .tlsv12
            let app = Application(
                router: router,
                server: try .tls(.http1WebSocketUpgrade(webSocketRouter: webSocket), tlsConfiguration: settings),
                configuration: .init(address: address), onServerRunning: onRunning, logger: logger)
            try await app.runService(gracefulShutdownSignals: shutdownSignals)
        } else {
            let app = Application(
                router: router, server: .http1WebSocketUpgrade(webSocketRouter: webSocket),
                configuration: .init(address: address), onServerRunning: onRunning, logger: logger)
            try await app.runService(gracefulShutdownSignals: shutdownSignals)
        }
    }
}
