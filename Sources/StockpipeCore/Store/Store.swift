/// Where validated trades, their candles and the quarantine end up.
///
/// Writes are idempotent: a trade is keyed by its identity and a quarantined record by its source,
/// so the load stage may deliver a batch again after a crash without changing the result.
public protocol Store: OperationsStore {
    /// Writes one batch in one transaction and keeps the 1-minute candles in step with the trades.
    /// A trade whose identity is already stored from another source is quarantined as `duplicate`.
    func write(_ batch: StoreBatch) async throws -> StoreWriteResult
    /// Trades of `symbol` in [from, to]; with no `from`, the latest `limit` trades. Oldest first.
    func trades(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Trade]
    /// 1-minute candles of `symbol` in [from, to], oldest first.
    func candles(symbol: String, from: Int64?, to: Int64?) async throws -> [Candle]
    /// Quotes of `symbol` polled in [from, to], oldest first; with no `from`, the latest `limit`.
    func quotes(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Quote]
    /// Quarantined records, newest first (by time, then by ``Origin/quarantineKey``), optionally only
    /// those with `reason`; with a cursor, those after it, so that a caller pages through all of them.
    func quarantine(reason: ReasonCode?, after cursor: QuarantineCursor?, limit: Int) async throws -> [QuarantineRecord]
    /// Every symbol with a trade, a candle or a quote, in order.
    func symbols() async throws -> [String]
    /// The starts of `symbol`'s first and last 1-minute candles; nil when it has none.
    func candleSpan(symbol: String) async throws -> ClosedRange<Int64>?
    /// Stores 1-minute candles fetched from Finnhub for minutes no stored trade covers; a minute
    /// backfilled before is replaced. Candles built from trades are never touched, and replace a
    /// backfilled one as soon as a trade of that minute is stored.
    func backfill(_ candles: [Candle]) async throws -> BackfillResult
    /// Every symbol with candles: its last price and when it traded, the change over `window` ms
    /// before that, and the closes of its last `sparkline` minutes.
    func symbolSummaries(window: Int64, sparkline: Int) async throws -> [SymbolSummary]
    /// Trades accepted and records quarantined per `bucket` ms from `from` on, both by the minute
    /// they were written to the store: one time basis, so that a replay of past days counts as what
    /// the pipeline did now. Each is counted once, when first stored or quarantined; a record that
    /// later leaves the quarantine (re-driven and stored) stays counted where it was quarantined,
    /// and counts as accepted where it was stored.
    func qualityHistory(from: Int64, bucket: Int64) async throws -> [QualityBucket]
    func counts() async throws -> StoreCounts
    func close() async throws
}

/// Where and when the log took a record that the load stage read.
///
/// A store without transactions (Cassandra) keeps its quarantine counts per log partition,
/// together with the last offset they include, so that a record read again after a crash or a
/// rebalance is never counted twice; only the partition's owner in the consumer group writes them.
public struct LogPosition: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Unix ms: the log's timestamp of the record, the same every time it is read.
    public var appendedAt: Int64

    public init(topic: String, partition: Int32, offset: Int64, appendedAt: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.appendedAt = appendedAt
    }
}

/// A validated trade with where it came from.
public struct IncomingTrade: Sendable {
    public var trade: Trade
    public var origin: Origin
    /// Set for a record sent through the pipeline again by `quarantine replay`: once stored, it
    /// leaves the quarantine.
    public var redriven: Bool
    /// Where the load stage read it; nil for a batch made by hand.
    public var position: LogPosition?

    /// Digest of the source, stored to tell a redelivery (same source) from a duplicate.
    package let sourceHash: Int64
    /// The conditions as stored.
    package let conditionsText: String

    public init(trade: Trade, origin: Origin, redriven: Bool = false, position: LogPosition? = nil) {
        self.trade = trade
        self.origin = origin
        self.redriven = redriven
        self.position = position
        sourceHash = StableHasher.hash64(origin.quarantineKey)
        conditionsText = ConditionsText.encode(trade.conditions)
    }
}

public struct StoreBatch: Sendable {
    public var trades: [IncomingTrade]
    public var quarantine: [QuarantineRecord]
    public var quotes: [Quote] = []
    /// Where each record of `quarantine` was read, in the same order; empty for a batch made by
    /// hand, whose records count as new unless stored already at the same time.
    public var quarantinePositions: [LogPosition] = []
    /// Set by ``preparedForInsert()``, off the store's writer: the insert order, and the candles of
    /// all `trades`.
    package var order: [Int]?
    package var candles: CandleAccumulator?

    public init(trades: [IncomingTrade] = [], quarantine: [QuarantineRecord] = []) {
        self.trades = trades
        self.quarantine = quarantine
    }
}

public struct StoreWriteResult: Sendable, Equatable {
    /// Trades stored for the first time.
    public var inserted = 0
    /// Trades that were already stored from the same source: a redelivery, nothing to do.
    public var redelivered = 0
    /// Trades already stored from another source, now quarantined as `duplicate`.
    public var duplicates = 0
    public var quarantined = 0
    /// Quotes stored for the first time.
    public var quotes = 0

    public init() {}
}

public struct SymbolSummary: Sendable, Equatable {
    public var symbol: String
    public var last: Double
    /// Unix ms of the last trade (of the last candle, for a backfilled one).
    public var lastUpdate: Int64
    /// The open of the window's first minute: what `change` is measured from.
    public var reference: Double
    public var sparkline: [Double]
    /// The last 1-minute candle.
    public var latest: Candle?

    public init(symbol: String, last: Double, lastUpdate: Int64, reference: Double, sparkline: [Double]) {
        self.symbol = symbol
        self.last = last
        self.lastUpdate = lastUpdate
        self.reference = reference
        self.sparkline = sparkline
    }

    public var change: Double { last - reference }
    public var changePercent: Double { reference > 0 ? (last - reference) / reference * 100 : 0 }
}

public struct QualityBucket: Sendable, Equatable {
    /// Unix ms, a multiple of the bucket length.
    public var start: Int64
    public var accepted: Int64 = 0
    /// By reason: a record with two reasons counts under each.
    public var quarantined: [ReasonCode: Int64] = [:]
    /// Records quarantined, each once.
    public var quarantinedRecords: Int64 = 0

    public init(start: Int64) { self.start = start }
}

public struct BackfillResult: Sendable, Equatable {
    /// Minutes that had no candle.
    public var inserted = 0
    /// Minutes backfilled before, now with Finnhub's latest numbers.
    public var replaced = 0
    /// Minutes that already have a candle built from stored trades, left as they are.
    public var keptFromTrades = 0

    public init() {}
}

public struct StoreCounts: Sendable, Equatable {
    public var trades: Int64
    public var candles: Int64
    public var symbols: Int64
    public var quarantined: Int64
    public var quarantineByReason: [ReasonCode: Int64]
    public var quotes: Int64 = 0
    /// Of `candles`, those backfilled from Finnhub rather than built from trades.
    public var backfilledCandles: Int64 = 0

    public init(trades: Int64, candles: Int64, symbols: Int64, quarantined: Int64, quarantineByReason: [ReasonCode: Int64]) {
        self.trades = trades
        self.candles = candles
        self.symbols = symbols
        self.quarantined = quarantined
        self.quarantineByReason = quarantineByReason
    }
}

extension StoreBatch {
    /// The trades in key order (symbol, time, identity), ties in arrival order so that the first of
    /// two same-identity trades stays the original, with their candles folded. Doing this before the
    /// write takes the work off the store's single writer.
    public func preparedForInsert() -> StoreBatch {
        var prepared = self
        let order = insertOrder()
        prepared.order = order
        var candles = CandleAccumulator()
        trades.withUnsafeBufferPointer { trades in
            for index in order { candles.add(trades[index].trade) }
        }
        prepared.candles = candles
        return prepared
    }

    /// Trades grouped by symbol (in order of first appearance), then by time and identity; ties in
    /// arrival order. Sorting integers, not strings, keeps this cheap.
    package func insertOrder() -> [Int] {
        struct Key: Comparable {
            var symbol: Int, timestamp: Int64, high: UInt64, low: UInt64, index: Int
            static func < (a: Key, b: Key) -> Bool {
                (a.symbol, a.timestamp, a.high, a.low, a.index) < (b.symbol, b.timestamp, b.high, b.low, b.index)
            }
        }
        var ranks: [String: Int] = [:]
        var keys: [Key] = []
        keys.reserveCapacity(trades.count)
        trades.withUnsafeBufferPointer { trades in
            for index in trades.indices {
                // Symbols compared in place rather than copying each trade out of the buffer.
                let rank: Int
                if index > 0, trades[index].trade.symbol == trades[index - 1].trade.symbol {
                    rank = keys[index - 1].symbol
                } else if let known = ranks[trades[index].trade.symbol] {
                    rank = known
                } else {
                    rank = ranks.count
                    ranks[trades[index].trade.symbol] = rank
                }
                let id = trades[index].trade.id
                keys.append(
                    Key(symbol: rank, timestamp: trades[index].trade.timestamp, high: id.high, low: id.low, index: index))
            }
        }
        keys.sort()
        return keys.map(\.index)
    }
}

/// The store could not be reached, or did not answer in time. Nothing is known to be lost: the
/// same batch may be written again (writes are idempotent), which the load stage does until the
/// store is back.
public struct StoreUnavailable: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Where a page of the quarantine ended: its last record's time and key. The next page starts
/// after it, in the store's order (newest first, then by key).
public struct QuarantineCursor: Sendable, Equatable {
    public var quarantinedAt: Int64
    public var key: String

    public init(quarantinedAt: Int64, key: String) {
        self.quarantinedAt = quarantinedAt
        self.key = key
    }

    /// The cursor that every record quarantined at or before `time` is after: keys are never empty.
    public static func through(_ time: Int64) -> QuarantineCursor {
        QuarantineCursor(quarantinedAt: time, key: "")
    }

    /// The cursor after `record`.
    public init(after record: QuarantineRecord) {
        self.init(quarantinedAt: record.quarantinedAt, key: record.origin.quarantineKey)
    }
}

extension Store {
    /// The newest `limit` quarantined records, optionally only those with `reason`.
    public func quarantine(reason: ReasonCode?, limit: Int) async throws -> [QuarantineRecord] {
        try await quarantine(reason: reason, after: nil, limit: limit)
    }
}
