import Foundation
import StockpipeCore
import StockpipeSQLite
import StockpipeSources
import Testing

@Suite("SQLite store", .timeLimit(.minutes(3)))
struct StoreTests {
    func incoming(
        _ symbol: String, price: Double, volume: Double, at timestamp: Int64, occurrence: Int = 0,
        source: String
    ) -> IncomingTrade {
        let id = TradeID(symbol: symbol, price: price, volume: volume, timestamp: timestamp, conditions: [], occurrence: occurrence)
        return IncomingTrade(
            trade: Trade(symbol: symbol, price: price, volume: volume, timestamp: timestamp, conditions: [], id: id),
            origin: Origin(topic: "stock_data", partition: 0, offset: 0, source: source))
    }

    @Test func redeliveryChangesNothingAndAnotherSourceIsADuplicate() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        let trade = incoming("AAPL", price: 150, volume: 10, at: 1_000, source: "replay:f:@0#0")
        var result = try await store.write(StoreBatch(trades: [trade]))
        #expect(result.inserted == 1)
        result = try await store.write(StoreBatch(trades: [trade]))
        #expect(result.inserted == 0 && result.redelivered == 1 && result.duplicates == 0)
        let copy = incoming("AAPL", price: 150, volume: 10, at: 1_000, source: "replay:f:@99#0")
        result = try await store.write(StoreBatch(trades: [copy]))
        #expect(result.duplicates == 1)
        let counts = try await store.counts()
        #expect(counts.trades == 1)
        #expect(counts.quarantineByReason == [.duplicate: 1])
        let quarantined = try await store.quarantine(reason: .duplicate, limit: 10)
        #expect(quarantined.first?.origin.source == "replay:f:@99#0")
        try await store.close()
    }

    /// Candles computed incrementally from shuffled, partly redelivered batches equal candles
    /// computed from scratch over the distinct trades.
    @Test(arguments: [1, 2, 3])
    func candlesMatchABruteForceComputation(seed: UInt64) async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        var random = SeededRandom(seed: seed)
        let symbols = ["AAPL", "BINANCE:BTCUSDT", "OANDA:EUR_USD"]
        var trades: [IncomingTrade] = []
        for index in 0..<3_000 {
            let symbol = symbols[index % 3]
            let price = (Double(Int.random(in: 10_000...20_000, using: &random)) / 100)
            let volume = symbol.hasPrefix("OANDA") ? 0 : Double(Int.random(in: 1...500, using: &random)) / 7
            let time = 1_732_480_000_000 + Int64.random(in: 0..<600_000, using: &random)
            trades.append(incoming(symbol, price: price, volume: volume, at: time, source: "sim:@\(index)#0"))
        }
        // Same time and price but distinct trades: two identical ones in one message.
        trades.append(incoming("AAPL", price: 150, volume: 1, at: 1_732_480_000_000, occurrence: 0, source: "m:@1#0"))
        trades.append(incoming("AAPL", price: 150, volume: 1, at: 1_732_480_000_000, occurrence: 1, source: "m:@1#1"))
        var deliveries = trades.shuffled(using: &random)
        deliveries += trades.shuffled(using: &random).prefix(700)  // redelivered
        for (number, start) in stride(from: 0, to: deliveries.count, by: 257).enumerated() {
            let batch = StoreBatch(trades: Array(deliveries[start..<min(start + 257, deliveries.count)]))
            // As the load stage sends them (prepared off the writer), and as any caller might.
            _ = try await store.write(number.isMultiple(of: 2) ? batch.preparedForInsert() : batch)
        }
        for symbol in symbols {
            let stored = try await store.candles(symbol: symbol, from: nil, to: nil)
            let expected = bruteForceCandles(trades.map(\.trade).filter { $0.symbol == symbol })
            #expect(stored == expected, "candles of \(symbol)")
            let doubleVolume = trades.filter { $0.trade.symbol == symbol }.reduce(0.0) { $0 + $1.trade.volume }
            #expect(abs(stored.reduce(0.0) { $0 + $1.volume } - doubleVolume) <= 1e-6 * max(1, doubleVolume))
        }
        #expect(try await store.counts().trades == Int64(trades.count))
        try await store.close()
    }

    func bruteForceCandles(_ trades: [Trade]) -> [Candle] {
        Dictionary(grouping: trades) { $0.timestamp - $0.timestamp % 60_000 }.map { start, group in
            let ordered = group.sorted { ($0.timestamp, $0.id) < ($1.timestamp, $1.id) }
            let volume = group.reduce(Int128(0)) { $0 + FixedPoint.units($1.volume) }
            let notional = group.reduce(Int128(0)) { $0 + FixedPoint.units($1.price) * FixedPoint.units($1.volume) }
            return Candle(
                symbol: group[0].symbol, interval: 60_000, start: start, open: ordered.first!.price,
                high: group.map(\.price).max()!, low: group.map(\.price).min()!, close: ordered.last!.price,
                volumeUnits: volume, notionalUnits: notional, trades: Int64(group.count))
        }.sorted { $0.start < $1.start }
    }

    @Test func rollUpCombinesMinutes() {
        let minutes = (0..<10).map { minute in
            Candle(
                symbol: "AAPL", interval: 60_000, start: Int64(minute) * 60_000, open: Double(minute), high: Double(minute) + 5,
                low: Double(minute) - 5, close: Double(minute) + 1, volumeUnits: 1_000_000_000, notionalUnits: 0, trades: 2)
        }
        let rolled = Candle.rollUp(minutes, to: 300_000)
        #expect(rolled.count == 2)
        #expect(rolled[0].open == 0 && rolled[0].close == 5 && rolled[0].high == 9 && rolled[0].low == -5)
        #expect(rolled[1].trades == 10 && rolled[1].volume == 5)
    }

    @Test func tradesQueryReturnsTheLatestOldestFirst() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        let trades = (0..<20).map { incoming("MSFT", price: 400 + Double($0), volume: 1, at: Int64($0) * 1_000, source: "s:@\($0)#0") }
        _ = try await store.write(StoreBatch(trades: trades))
        let latest = try await store.trades(symbol: "MSFT", from: nil, to: nil, limit: 5)
        #expect(latest.map(\.timestamp) == [15_000, 16_000, 17_000, 18_000, 19_000])
        let range = try await store.trades(symbol: "MSFT", from: 3_000, to: 5_000, limit: 100)
        #expect(range.map(\.price) == [403, 404, 405])
        try await store.close()
    }
}
