import Foundation
import Hummingbird
import HummingbirdWebSocket
import StockpipeCore
import StockpipeJSON
import StockpipeSources
import Synchronization

extension FinnhubServer {
    func webSocketRouter() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/") { request, _ in
            guard self.authorised(request.uri.queryParameters.get("token")) else {
                self.counters.withLock { $0.unauthorised += 1 }
                return .dontUpgrade
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, _ in
            let connection = self.counters.withLock { counters -> Int in
                counters.connections += 1
                return counters.connections
            }
            let subscribed = SubscribedSymbols()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message, let request = Subscription(text) else { continue }
                        let refused = subscribed.symbols.withLock { symbols -> Bool in
                            if request.subscribe {
                                guard !symbols.contains(request.symbol) else { return false }
                                guard symbols.count < self.configuration.faults.maxSymbols else { return true }
                                symbols.append(request.symbol)
                            } else {
                                symbols.removeAll { $0 == request.symbol }
                            }
                            return false
                        }
                        if refused {
                            try await outbound.write(.text(#"{"type":"error","msg":"Subscribing to too many symbols"}"#))
                        } else if request.subscribe {
                            self.counters.withLock { $0.subscriptions += 1 }
                        }
                    }
                }
                group.addTask { try await self.stream(connection: connection, subscribed: subscribed, outbound: outbound) }
                // Either side ending (the client leaving, or a drop being injected) ends the connection.
                try await group.next()
                group.cancelAll()
            }
        }
        return router
    }

    /// Sends simulated trades of the subscribed symbols every 100 ms, pings, and the injected faults.
    private func stream(connection: Int, subscribed: SubscribedSymbols, outbound: WebSocketOutboundWriter) async throws {
        var simulator: Simulator?
        var symbols: [String] = []
        var sent = 0
        var window = 0
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(Simulator.windowMilliseconds))
            window += 1
            let current = subscribed.symbols.withLock { $0 }
            if current != symbols {
                symbols = current
                // Each connection trades afresh from now, as the real feed does after a reconnect.
                simulator =
                    current.isEmpty
                    ? nil
                    : Simulator(
                        .init(
                            symbols: current, seed: configuration.seed &+ UInt64(connection) &* 7_919, rate: configuration.rate,
                            start: WallClock.milliseconds(), badFraction: 0, allowListActive: false))
            }
            var frames: [String] = []
            if window % 50 == 0 { frames.append(#"{"type":"ping"}"#) }
            if var generator = simulator {
                frames += generator.nextWindow(maxRecords: .max).map { String(decoding: $0.bytes, as: UTF8.self) }
                simulator = generator
            }
            for frame in frames {
                sent += 1
                if let every = configuration.faults.malformedEvery, sent % every == 0 {
                    try await outbound.write(.text(#"{"type":"trade","data":[{"s":"#))
                } else {
                    try await outbound.write(.text(frame))
                }
                counters.withLock { $0.messages += 1 }
                if let every = configuration.faults.dropEvery, sent >= every {
                    return  // closing the connection, as a dropped feed does
                }
                if let silentAfter = configuration.faults.stallAfter, sent >= silentAfter {
                    // Open but silent, as a connection whose peer vanished without a close looks.
                    while !Task.isCancelled { try await Task.sleep(for: .seconds(60)) }
                }
            }
        }
    }
}

/// The symbols one connection has subscribed.
final class SubscribedSymbols: Sendable {
    let symbols = Mutex<[String]>([])
}

/// `{"type":"subscribe","symbol":"AAPL"}` or `unsubscribe`.
struct Subscription {
    var subscribe: Bool
    var symbol: String

    init?(_ text: String) {
        var type: String?
        var symbol: String?
        var bytes = Array(text.utf8)
        let parsed: Void? = bytes.withUnsafeMutableBytes { buffer in
            var reader = JSONReader(UnsafeRawBufferPointer(buffer))
            return try? reader.forEachMember { key, reader in
                if key == "type" {
                    type = try reader.readString()
                } else if key == "symbol" {
                    symbol = try reader.readString()
                } else {
                    try reader.skipValue()
                }
            }
        }
        guard parsed != nil, let type, let symbol, type == "subscribe" || type == "unsubscribe" else { return nil }
        self.subscribe = type == "subscribe"
        self.symbol = symbol
    }
}
