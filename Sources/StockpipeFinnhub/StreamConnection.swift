import Foundation
import Logging
import NIOSSL
import StockpipeCore
import StockpipeJSON
import Synchronization
import WSClient

/// The connection behind ``FinnhubTradeSource``: a task that connects, subscribes, reads into a
/// buffer, and on a drop, a stall or a refusal waits (backoff with jitter) and starts over.
final class StreamConnection: Sendable {
    struct Counters: Sendable {
        var connections = 0
        var messages = 0
        var stalls = 0
    }

    private struct State {
        var buffer: [[UInt8]] = []
        var counters = Counters()
        var lastMessage = ContinuousClock.now
    }

    let configuration: FinnhubConfiguration
    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)
    let logger = Logger(label: "stockpipe.finnhub")

    init(configuration: FinnhubConfiguration) {
        self.configuration = configuration
    }

    /// Starts the connection task; it runs until ``stop()``.
    func start() {
        task.withLock { task in
            if task == nil { task = Task { await self.run() } }
        }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    var counters: Counters { state.withLock(\.counters) }

    /// Up to `count` messages in arrival order.
    func take(_ count: Int) -> [[UInt8]] {
        state.withLock { state in
            let taken = Array(state.buffer.prefix(count))
            state.buffer.removeFirst(taken.count)
            return taken
        }
    }

    private func run() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await connectOnce()
                logger.warning("Finnhub closed the trade stream; reconnecting")
            } catch is CancellationError {
                return
            } catch StallError.stalled {
                logger.warning("no message from Finnhub for \(configuration.stallTimeout); reconnecting")
            } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
                logger.error("Finnhub refused the trade stream (check the token, and that no other connection uses this key: one per key)")
            } catch {
                logger.warning("the Finnhub trade stream failed: \(configuration.token.redact(String(describing: error))); reconnecting")
            }
            if Task.isCancelled { return }
            // A connection that carried data for a while starts the backoff over.
            if ContinuousClock.now - started > .seconds(30) { backoff.reset() }
            let wait = backoff.next()
            logger.info("reconnecting to Finnhub in \(wait.milliseconds) ms")
            try? await Task.sleep(for: wait)
        }
    }

    enum StallError: Error { case stalled }

    private func connectOnce() async throws {
        // The watchdog covers connecting too: a peer that never answers is a stall like any other.
        state.withLock { $0.lastMessage = .now }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.makeClient().run() }
            group.addTask { try await self.watch() }
            try await group.next()
            group.cancelAll()
        }
    }

    private func makeClient() throws -> WebSocketClient {
        let url = Self.url(configuration.webSocketURL, token: configuration.token)
        var tls: TLSConfiguration?
        if configuration.webSocketURL.hasPrefix("wss:") {
            var client = TLSConfiguration.makeClientConfiguration()
            if let path = configuration.trustedCertificate {
                client.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(path))]
            }
            tls = client
        }
        // The library's own log lines could carry the URL, and with it the token: keep them quiet.
        var quiet = Logger(label: "stockpipe.finnhub.websocket")
        quiet.logLevel = .critical
        return WebSocketClient(
            url: url, configuration: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: .seconds(20))),
            tlsConfiguration: tls, logger: quiet
        ) { [self] inbound, outbound, _ in
            for symbol in configuration.symbols {
                try await outbound.write(.text(Self.subscription(symbol)))
            }
            let connections = state.withLock { state in
                state.counters.connections += 1
                return state.counters.connections
            }
            logger.info(
                "connected to the Finnhub trade stream, \(configuration.symbols.count) symbols subscribed",
                metadata: ["connection": "\(connections)"])
            try await read(inbound)
        }
    }

    /// The stream's URL with the token in its query, and a path (`wss://ws.finnhub.io?token=` has
    /// none, and the WebSocket client needs one).
    static func url(_ base: String, token: FinnhubToken) -> String {
        var base = base
        if let scheme = base.range(of: "://"), !base[scheme.upperBound...].contains("/") {
            if let query = base.firstIndex(of: "?") { base.insert("/", at: query) } else { base += "/" }
        }
        return base + (base.contains("?") ? "&" : "?") + "token=" + token.value
    }

    private func read(_ inbound: WebSocketInboundStream) async throws {
        for try await message in inbound.messages(maxSize: 1 << 20) {
            let bytes: [UInt8]
            switch message {
            case .text(let text): bytes = Array(text.utf8)
            case .binary(let buffer): bytes = Array(buffer.readableBytesView)
            }
            let kept = configuration.token.redact(bytes)
            state.withLock { state in
                state.buffer.append(kept)
                state.counters.messages += 1
                state.lastMessage = .now
            }
        }
    }

    /// Ends the connection when nothing has come for the stall timeout.
    private func watch() async throws {
        while true {
            try await Task.sleep(for: configuration.stallTimeout / 4)
            let quiet = state.withLock { ContinuousClock.now - $0.lastMessage }
            if quiet > configuration.stallTimeout {
                state.withLock { $0.counters.stalls += 1 }
                throw StallError.stalled
            }
        }
    }

    static func subscription(_ symbol: String, subscribe: Bool = true) -> String {
        var writer = JSONWriter(capacity: 64)
        writer.objectStart()
        writer.key("type"); writer.string(subscribe ? "subscribe" : "unsubscribe")
        writer.key("symbol"); writer.string(symbol)
        writer.objectEnd()
        return writer.string
    }
}
