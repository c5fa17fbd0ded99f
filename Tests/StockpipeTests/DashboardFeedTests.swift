import Foundation
import StockpipeCore
import Synchronization
import Testing

@testable import StockpipeDashboard

/// The live feed per client (issue 21, point 3): under `serve` only the first page opened got
/// trades; a reload or a second tab was sent `trades: []` from then on and kept an empty tape.
@Suite("Dashboard live feed", .timeLimit(.minutes(3)))
struct DashboardFeedTests {
    static let start: Int64 = 1_764_000_000_000

    static func trade(_ symbol: String, _ price: Double, _ volume: Double, at time: Int64, source: String) -> IncomingTrade {
        let id = TradeID(symbol: symbol, price: price, volume: volume, timestamp: time, conditions: [], occurrence: 0)
        return IncomingTrade(
            trade: Trade(symbol: symbol, price: price, volume: volume, timestamp: time, conditions: [], id: id),
            origin: Origin(topic: "stock_data", partition: 0, offset: 0, source: source))
    }

    /// The `tick` events of one connection to `/api/v1/stream`, as they arrive.
    final class EventReader: Sendable {
        let socket: RawSocket
        private let received = Mutex<String>("")

        init(port: Int) throws {
            socket = try RawSocket(port: port)
            #expect(socket.send(Array("GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
        }

        /// Waits until `count` events have arrived in all, or one `satisfying`; returns every event so far.
        func events(atLeast count: Int, orOne satisfying: ([String: Any]) -> Bool = { _ in false }) async -> [[String: Any]] {
            // Two minutes: the whole suite runs beside this test on two cores, and its start (Cassandra,
            // Airflow, Kafka clusters and many processes starting at once) has held this for over a minute.
            let deadline = ContinuousClock.now + .seconds(120)
            var events = parsed()
            while events.count < count, !events.contains(where: satisfying), ContinuousClock.now < deadline {
                let part = await socket.read(timeout: .milliseconds(300))
                received.withLock { $0 += part.text }
                events = parsed()
                if part.closed { break }
            }
            return events
        }

        private func parsed() -> [[String: Any]] {
            received.withLock { $0 }.components(separatedBy: "\n\n").compactMap { block in
                guard let line = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
                return (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any]
            }
        }

        /// What arrived, for a failure's message.
        var text: String { String(received.withLock { $0 }.prefix(2_000)) }

        func close() { socket.close() }
    }

    static func trades(_ event: [String: Any]) -> [[String: Any]] { event["trades"] as? [[String: Any]] ?? [] }

    @Test func everyConnectionGetsTheNewestTradesFirstAndEveryNewOneAfter() async throws {
        try await withServedDashboard(
            { $0.tick = .milliseconds(200) },
            prepare: { store in
                _ = try await store.write(
                    StoreBatch(trades: [
                        Self.trade("AAPL", 187.5, 100, at: Self.start, source: "test:1"),
                        Self.trade("AAPL", 187.6, 30, at: Self.start, source: "test:2"),
                        Self.trade("BINANCE:BTCUSDT", 97_250.5, 0.07596, at: Self.start + 5, source: "test:3"),
                    ]))
            }
        ) { port, store in
            let first = try EventReader(port: port)
            defer { first.close() }
            // The first page opened gets the stored trades.
            let seen = await first.events(atLeast: .max) { !Self.trades($0).isEmpty }
            #expect(seen.flatMap(Self.trades).count == 3, "\(seen.map(Self.trades)) from \(first.text)")

            // A page opened later (a reload, a second tab) gets them too, at once.
            let second = try EventReader(port: port)
            defer { second.close() }
            let opening = try #require(await second.events(atLeast: 1).first)
            #expect(opening["first"] as? Bool == true)
            let tape = Self.trades(opening)
            #expect(tape.count == 3, "\(opening)")
            // Crypto volumes keep their decimals.
            #expect(tape.contains { $0["symbol"] as? String == "BINANCE:BTCUSDT" && $0["volume"] as? Double == 0.07596 })

            // A trade stored now reaches both, once, whoever else is connected.
            let before = (await first.events(atLeast: 0).count, await second.events(atLeast: 0).count)
            _ = try await store.write(StoreBatch(trades: [Self.trade("AAPL", 188, 5, at: Self.start + 60_000, source: "test:4")]))
            for (reader, already) in [(first, before.0), (second, before.1)] {
                let deadline = ContinuousClock.now + .seconds(20)
                var later: [[String: Any]] = []
                while ContinuousClock.now < deadline, !later.contains(where: { !Self.trades($0).isEmpty }) {
                    later = Array(await reader.events(atLeast: already + later.count + 1).dropFirst(already))
                }
                // One tick more, which must not send it again.
                later = Array(await reader.events(atLeast: already + later.count + 1).dropFirst(already))
                let news = later.flatMap(Self.trades)
                #expect(news.count == 1 && news.first?["price"] as? Double == 188, "\(news)")
                #expect(later.allSatisfy { $0["first"] as? Bool == false })
            }

            // And one opened after that starts from the newest, the new trade last.
            let third = try EventReader(port: port)
            defer { third.close() }
            let opened = try #require(await third.events(atLeast: 1).first)
            let prices = Self.trades(opened).compactMap { $0["price"] as? Double }
            #expect(prices.sorted() == [187.5, 187.6, 188, 97_250.5] && prices.last == 188, "\(prices)")
        }
    }
}
