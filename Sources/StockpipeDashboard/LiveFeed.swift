import HTTPTypes
import Hummingbird
import StockpipeCore
import StockpipeJSON
import Synchronization

/// Live updates for every connected page, as Server-Sent Events. Once per tick it reads what
/// changed (each symbol's last candle and price, trades newer than those last sent, the latest
/// pipeline status) and sends that one event to every client; a client that cannot keep up
/// skips to the newest events instead of queueing them, so a fast feed floods no one.
///
/// A client's first event is the latest one with the newest trades in place of the new ones
/// (`first: true`), so that a page opened later, or reloaded, fills its tape at once instead of
/// waiting for trades nobody else has been sent.
final class LiveFeed: Sendable {
    /// New trades sent per tick at most, over all symbols (the newest).
    static let tradesPerTick = 200
    /// Trades a client's first event carries: the newest, over all symbols.
    static let newestTrades = 50

    /// What was sent last, for clients that connect later.
    private struct Latest {
        var event: LiveEventDocument?
        /// The newest trades over all symbols, oldest first.
        var trades: [Trade] = []
    }

    /// Per symbol, the newest trade time sent and the trades of that millisecond already sent:
    /// several trades share a millisecond, and one stored after the tick sent the others is new.
    private struct Sent {
        var time: Int64
        var ids: Set<TradeID>
    }

    let store: any Store
    private let subscribers = Mutex<[Int: AsyncStream<ByteBuffer>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)
    private let latest = Mutex(Latest())
    private let sentUpTo = Mutex<[String: Sent]>([:])
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
        // Under the lock a tick takes to publish, so that the tick's trades reach this client
        // either in its first event or after it, never both or neither.
        subscribers.withLock { subscribers in
            if let first = firstEvent() { continuation.yield(first) }
            subscribers[id] = continuation
        }
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
            guard let made = try? await makeEvent(status: sampler) else { continue }
            let (document, trades) = made
            guard let event = try? Self.encode(document) else { continue }
            let continuations = subscribers.withLock { subscribers in
                latest.withLock { latest in
                    latest.event = document
                    latest.trades = Array((latest.trades + trades).suffix(Self.newestTrades))
                }
                return Array(subscribers.values)
            }
            for continuation in continuations { continuation.yield(event) }
        }
    }

    /// The latest event with the newest trades instead of the new ones; nil before the first tick.
    func firstEvent() -> ByteBuffer? {
        let (latestEvent, newest) = latest.withLock { ($0.event, $0.trades) }
        guard var event = latestEvent else { return nil }
        event.trades = newest.map(\.document)
        event.tradesSkipped = 0
        event.first = true
        return try? Self.encode(event)
    }

    static func encode(_ event: LiveEventDocument) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: tick\ndata: ")
        buffer.writeBytes(try JSONOutput.bytes(event))
        buffer.writeString("\n\n")
        return buffer
    }

    /// The next event, and every new trade found for it (the event carries at most ``tradesPerTick``).
    func makeEvent(status sampler: StatusSampler) async throws -> (LiveEventDocument, [Trade]) {
        let summaries = try await store.symbolSummaries(window: 86_400_000, sparkline: 60)
        var trades: [Trade] = []
        let sent = sentUpTo.withLock { $0 }
        var newest: [String: Sent] = [:]
        for summary in summaries where summary.lastUpdate > (sent[summary.symbol]?.time ?? 0) {
            let latest = try await store.trades(symbol: summary.symbol, from: nil, to: nil, limit: 50)
            let before = sent[summary.symbol]
            let fresh = latest.filter { trade in
                guard let before else { return true }
                return trade.timestamp > before.time || (trade.timestamp == before.time && !before.ids.contains(trade.id))
            }
            guard let last = fresh.last?.timestamp else {
                // Its last update is a backfilled minute, not a trade: not asked for again until it moves.
                newest[summary.symbol] = Sent(time: summary.lastUpdate, ids: [])
                continue
            }
            trades += fresh
            var now = Sent(time: last, ids: before?.time == last ? before?.ids ?? [] : [])
            for trade in fresh where trade.timestamp == last { now.ids.insert(trade.id) }
            newest[summary.symbol] = now
        }
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
        // Only now, when nothing can fail any more: a tick that fails sends its trades at the next one.
        sentUpTo.withLock { $0.merge(newest) { $1.time >= $0.time ? $1 : $0 } }
        return (event, trades)
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
