import HTTPTypes
import Hummingbird
import StockpipeCore
import StockpipeJSON
import Synchronization

/// Live updates for every connected page, as Server-Sent Events. Once per tick it reads what
/// changed (each symbol's last candle and price, trades newer than those last sent, the latest
/// pipeline status) and sends that one event to every client; a client that cannot keep up
/// skips to the newest events instead of queueing them, so a fast feed floods no one.
final class LiveFeed: Sendable {
    /// New trades sent per tick at most, over all symbols (the newest).
    static let tradesPerTick = 200

    let store: any Store
    private let subscribers = Mutex<[Int: AsyncStream<ByteBuffer>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)
    private let lastEvent = Mutex<ByteBuffer?>(nil)
    private let sentUpTo = Mutex<[String: Int64]>([:])
    private let closed = Atomic<Bool>(false)

    init(store: any Store) {
        self.store = store
    }

    var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// A stream of events for one client, starting with the latest.
    func subscribe() -> (id: Int, events: AsyncStream<ByteBuffer>) {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(4))
        if closed.load(ordering: .relaxed) {
            continuation.finish()
            return (id, stream)
        }
        if let last = lastEvent.withLock({ $0 }) { continuation.yield(last) }
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    /// Ends every stream, and those opened later at once: the server is shutting down.
    func finishAll() {
        let continuations = subscribers.withLock { subscribers in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        closed.store(true, ordering: .relaxed)
        for continuation in continuations { continuation.finish() }
    }

    func unsubscribe(_ id: Int) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }

    func run(every tick: Duration, sampler: StatusSampler) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: tick)
            guard subscriberCount > 0 else { continue }
            guard let event = try? await makeEvent(status: sampler) else { continue }
            lastEvent.withLock { $0 = event }
            for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
        }
    }

    func makeEvent(status sampler: StatusSampler) async throws -> ByteBuffer {
        let summaries = try await store.symbolSummaries(window: 86_400_000, sparkline: 60)
        var trades: [Trade] = []
        let sent = sentUpTo.withLock { $0 }
        var newest: [String: Int64] = [:]
        for summary in summaries where summary.lastUpdate > (sent[summary.symbol] ?? 0) {
            let latest = try await store.trades(symbol: summary.symbol, from: nil, to: nil, limit: 50)
            let fresh = latest.filter { $0.timestamp > (sent[summary.symbol] ?? 0) }
            trades += fresh
            newest[summary.symbol] = latest.last?.timestamp ?? summary.lastUpdate
        }
        sentUpTo.withLock { $0.merge(newest) { max($0, $1) } }
        trades.sort { $0.timestamp < $1.timestamp }
        let dropped = max(0, trades.count - Self.tradesPerTick)
        let sample = try await sampler.latestOrCollect()

        let report = sample.report
        let totals = LiveEventDocument.Totals(
            staged: report.staged, stored: report.store.trades + report.store.quotes,
            quarantined: report.store.quarantined, pending: report.pending, balanced: report.balanced)
        let event = LiveEventDocument(
            at: WallClock.milliseconds(), symbols: summaries.map(\.document),
            candles: summaries.compactMap { $0.latest?.document },
            trades: trades.suffix(Self.tradesPerTick).map(\.document), tradesSkipped: dropped,
            status: JSONMerged(PipelinePointDocument(sample.point), totals))
        var buffer = ByteBuffer()
        buffer.writeString("event: tick\ndata: ")
        buffer.writeBytes(try JSONOutput.bytes(event))
        buffer.writeString("\n\n")
        return buffer
    }
}

extension Dashboard {
    /// `text/event-stream` of ``LiveFeed`` events until the client goes.
    func stream(_ request: Request) -> Response {
        let (id, events) = feed.subscribe()
        let feed = self.feed
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: .init { writer in
                defer { feed.unsubscribe(id) }
                var retry = ByteBuffer()
                retry.writeString("retry: 2000\n\n")
                try await writer.write(retry)
                for await event in events {
                    try await writer.write(event)
                }
                try await writer.finish(nil)
            })
    }
}
