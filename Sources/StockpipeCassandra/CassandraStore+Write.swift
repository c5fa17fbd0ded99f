import StockpipeCQL
import StockpipeCore

/// A partition of the time-series tables.
struct PartitionKey: Hashable, Sendable {
    var symbol: String
    var day: String

    var values: [CQLValue] { [.text(symbol), .text(day)] }
}

extension CassandraStore {
    /// Trades first, each partition on its own, then quotes, then the quarantine (including the
    /// duplicates found on the way). Counts derived from rows are written after the rows.
    public func write(_ batch: StoreBatch) async throws -> StoreWriteResult {
        try await unavailableIfTransient { try await self.writes.run { try await self.writeInOrder(batch) } }
    }

    private func writeInOrder(_ batch: StoreBatch) async throws -> StoreWriteResult {
        let now = WallClock.milliseconds()
        var groups: [PartitionKey: [IncomingTrade]] = [:]
        var keys: [PartitionKey] = []
        for index in batch.order ?? batch.insertOrder() {
            let trade = batch.trades[index].trade
            let key = PartitionKey(symbol: trade.symbol, day: Day.text(of: trade.timestamp))
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(batch.trades[index])
        }
        let work = keys.map { ($0, groups[$0]!) }
        let outcomes = try await mapConcurrently(work, width: 4) { key, trades in
            try await self.writeTrades(trades, into: key, now: now)
        }
        var result = StoreWriteResult()
        let positions = batch.quarantinePositions.count == batch.quarantine.count ? batch.quarantinePositions : nil
        var quarantine = batch.quarantine.enumerated().map { QuarantineItem(record: $1, position: positions?[$0]) }
        var leaving: [Departure] = []
        var accepted: [LogPosition?] = []
        for outcome in outcomes {
            accepted += outcome.accepted
            result.inserted += outcome.inserted
            result.redelivered += outcome.redelivered
            result.duplicates += outcome.duplicates.count
            quarantine += outcome.duplicates
            leaving += outcome.leaving
        }
        result.quotes = try await writeQuotes(batch.quotes)
        let anew = try await writeQuarantine(quarantine, leaving: leaving)
        // Records read from the log are counted by offset; those of a batch made by hand, as the
        // embedded store counts them: when not quarantined before at the same time.
        try await countQuality(
            accepted: accepted, quarantined: quarantine.filter { $0.position != nil || anew.contains($0.record.origin.quarantineKey) }, now: now)
        result.quarantined = quarantine.count
        return result
    }

    struct TradeOutcome: Sendable {
        /// Where each trade stored was read, whether first stored now or before a crash: the
        /// quality counts decide by offset which they have counted (see ``countQuality``).
        var accepted: [LogPosition?] = []
        var inserted = 0
        var redelivered = 0
        var duplicates: [QuarantineItem] = []
        /// Re-driven trades that are now stored.
        var leaving: [Departure] = []
    }

    /// A record for the quarantine, and where the load stage read it.
    struct QuarantineItem: Sendable {
        var record: QuarantineRecord
        var position: LogPosition?
    }

    /// A re-driven trade, now stored, whose record leaves the quarantine.
    struct Departure: Sendable {
        var key: String
        var position: LogPosition?
    }

    private struct TradeKey: Hashable {
        var timestamp: Int64
        var id: [UInt8]
    }

    /// One read finds which trades of the partition are stored already; the rest are written,
    /// then their candles. A trade stored from the same source is a redelivery: its minute is
    /// computed again from the stored trades, since the first delivery may have stopped between
    /// writing trades and writing candles.
    private func writeTrades(_ incoming: [IncomingTrade], into key: PartitionKey, now: Int64) async throws -> TradeOutcome {
        let times = incoming.map(\.trade.timestamp)
        var stored: [TradeKey: Int64] = [:]
        for row in try await select(cql.tradeKeys, key.values + Self.slice(times.min()!, times.max()!)!) {
            stored[TradeKey(timestamp: try row.int64(0), id: row.blob(1))] = try row.int64(2)
        }
        var outcome = TradeOutcome()
        var fresh: [Trade] = []
        var doubtful: Set<Int64> = []
        var statements: [(cql: String, values: [CQLValue])] = []
        for item in incoming {
            let trade = item.trade
            let tradeKey = TradeKey(timestamp: trade.timestamp, id: trade.id.bytes)
            if let source = stored[tradeKey] {
                if source == item.sourceHash {
                    outcome.redelivered += 1
                    // Its count may not have landed before a crash; without a position it was counted when stored.
                    if item.position != nil { outcome.accepted.append(item.position) }
                    doubtful.insert(CandleAccumulator.minute(of: trade.timestamp))
                    if item.redriven { outcome.leaving.append(Departure(key: item.origin.quarantineKey, position: item.position)) }
                } else {
                    // The log's time, not the clock's: read again, the record is quarantined at the same time.
                    outcome.duplicates.append(
                        QuarantineItem(
                            record: QuarantineRecord(
                                reasons: [.duplicate], payload: trade.finnhubJSON(), origin: item.origin,
                                quarantinedAt: item.position?.appendedAt ?? now),
                            position: item.position))
                }
                continue
            }
            stored[tradeKey] = item.sourceHash
            fresh.append(trade)
            outcome.inserted += 1
            outcome.accepted.append(item.position)
            if item.redriven { outcome.leaving.append(Departure(key: item.origin.quarantineKey, position: item.position)) }
            statements.append(
                (
                    cql.insertTrade,
                    key.values + [
                        .timestamp(trade.timestamp), .blob(trade.id.bytes), .double(trade.price), .double(trade.volume), .bigint(item.sourceHash),
                        .text(item.conditionsText),
                    ]
                ))
        }
        try await write(statements)
        try await writeCandles(of: fresh, recomputing: doubtful, in: key)
        return outcome
    }

    /// Adds the new trades to their minutes' candles; minutes in doubt are folded again from
    /// every stored trade. Then the partition's per-day counts follow.
    private func writeCandles(of fresh: [Trade], recomputing doubtful: Set<Int64>, in key: PartitionKey) async throws {
        var accumulator = CandleAccumulator()
        for trade in fresh { accumulator.add(trade) }
        var candles: [Int64: CandleAccumulator.Partial] = [:]
        for (candleKey, partial) in accumulator.folded() { candles[candleKey.start] = partial }
        let touched = Set(candles.keys).union(doubtful)
        guard let lowest = touched.min(), let highest = touched.max() else { return }

        var stored: [Int64: CandleAccumulator.Partial] = [:]
        for row in try await select(cql.candlesForMerge, key.values + Self.slice(lowest, highest)!) {
            stored[try row.int64(0)] = try Self.partial(row)
        }
        var delta = (trades: Int64(fresh.count), candles: Int64(0), backfilled: Int64(0))
        for (minute, partial) in candles where !doubtful.contains(minute) {
            if let old = stored[minute], old.trades > 0 {
                var merged = old
                merged.add(partial)
                candles[minute] = merged
            } else if stored[minute] != nil {
                delta.backfilled -= 1
            } else {
                delta.candles += 1
            }
        }
        if let first = doubtful.min(), let last = doubtful.max() {
            var again = CandleAccumulator()
            for row in try await select(cql.tradesForCandles, key.values + Self.slice(first, last + Candle.oneMinute - 1)!) {
                let minute = CandleAccumulator.minute(of: try row.int64(0))
                guard doubtful.contains(minute) else { continue }
                again.add(
                    Trade(
                        symbol: key.symbol, price: try row.double(2), volume: try row.double(3), timestamp: try row.int64(0),
                        conditions: [], id: TradeID(bytes: row.blob(1)) ?? TradeID(high: 0, low: 0)))
            }
            for (candleKey, partial) in again.folded() { candles[candleKey.start] = partial }
        }
        try await write(
            candles.sorted { $0.key < $1.key }.map { minute, candle in
                (
                    cql.insertCandle,
                    key.values + [
                        .timestamp(minute), .double(candle.open), .double(candle.high), .double(candle.low), .double(candle.close),
                        .blob(FixedPoint.bytes(candle.volume)), .blob(FixedPoint.bytes(candle.notional)), .bigint(candle.trades),
                        .bigint(candle.first.ts), .blob(candle.first.id.bytes), .bigint(candle.last.ts), .blob(candle.last.id.bytes),
                    ]
                )
            })
        if doubtful.isEmpty {
            let row = try await select(cql.symbolDay, key.values, limit: 1).first
            try await write([
                (
                    cql.updateSymbolDay,
                    [
                        .bigint(try (row?.int64(0) ?? 0) + delta.trades), .bigint(try (row?.int64(1) ?? 0) + delta.candles),
                        .bigint(try (row?.int64(2) ?? 0) + delta.backfilled),
                    ] + key.values
                )
            ])
        } else {
            try await recountCandles(of: key)
        }
    }

    static func partial(_ row: CQLCells) throws -> CandleAccumulator.Partial {
        CandleAccumulator.Partial(
            open: try row.double(1), high: try row.double(2), low: try row.double(3), close: try row.double(4),
            volume: FixedPoint.value(row.blob(5)), notional: FixedPoint.value(row.blob(6)), trades: try row.int64(7),
            first: (try row.int64(8), TradeID(bytes: row.blob(9)) ?? TradeID(high: 0, low: 0)),
            last: (try row.int64(10), TradeID(bytes: row.blob(11)) ?? TradeID(high: 0, low: 0)))
    }

    /// The partition's trades, candles and backfilled candles, counted from its candles.
    func recountCandles(of key: PartitionKey) async throws {
        var trades: Int64 = 0
        var candles: Int64 = 0
        var backfilled: Int64 = 0
        for row in try await select(cql.candleTrades, key.values) {
            let count = try row.int64(0)
            trades += count
            candles += 1
            if count == 0 { backfilled += 1 }
        }
        try await write([(cql.updateSymbolDay, [.bigint(trades), .bigint(candles), .bigint(backfilled)] + key.values)])
    }

    /// One row per symbol and poll, as in the embedded store; returns how many were new.
    private func writeQuotes(_ quotes: [Quote]) async throws -> Int {
        var groups: [PartitionKey: [Int64: Quote]] = [:]
        for quote in quotes {
            let key = PartitionKey(symbol: quote.symbol, day: Day.text(of: quote.receivedAt))
            if groups[key]?[quote.receivedAt] == nil { groups[key, default: [:]][quote.receivedAt] = quote }
        }
        var added = 0
        for (key, byTime) in groups {
            let times = byTime.keys
            let stored = Set(
                try await select(cql.quoteTimes, key.values + Self.slice(times.min()!, times.max()!)!)
                    .map { try $0.int64(0) })
            let fresh = byTime.values.filter { !stored.contains($0.receivedAt) }
            try await write(
                fresh.map { quote in
                    var values: [CQLValue] =
                        key.values + [
                            .timestamp(quote.receivedAt), .bigint(quote.timestamp), .double(quote.current), .double(quote.high), .double(quote.low),
                            .double(quote.open), .double(quote.previousClose),
                        ]
                    if let change = quote.change { values.append(.double(change)) }
                    if let percent = quote.percentChange { values.append(.double(percent)) }
                    return (cql.insertQuote(withChange: quote.change != nil, withPercentChange: quote.percentChange != nil), values)
                })
            added += fresh.count
            let count: Int64
            if stored.isEmpty {
                count = try (await select(cql.symbolDayQuotes, key.values, limit: 1).first?.int64(0) ?? 0) + Int64(fresh.count)
            } else {
                // A quote seen before: the first delivery may not have counted it.
                count = Int64(try await select(cql.quoteTimes, key.values + Self.slice(nil, nil)!).count)
            }
            try await write([(cql.updateSymbolDayQuotes, [.bigint(count)] + key.values)])
        }
        return added
    }

    /// Quarantined records are upserted by their key (the last of a batch wins); a record that
    /// was quarantined before at another time moves. Re-driven trades that are now stored leave.
    ///
    /// Counts go first, rows after. A shard of the counts is the log partition its records were
    /// read from, so only that partition's owner in the load group writes it; each change is one
    /// single-partition batch that also moves the shard's last counted offset. A record read again
    /// after a crash or a rebalance is at or below that offset: its rows are written again, which
    /// changes nothing, and it is not counted twice. Two shards meet on one record only when a
    /// re-drive of it is loaded while the record itself still is, which the re-drive job does not do.
    /// - Returns: the keys of the records not quarantined before at the same time.
    private func writeQuarantine(_ items: [QuarantineItem], leaving: [Departure]) async throws -> Set<String> {
        var latest: [String: QuarantineItem] = [:]
        for item in items { latest[item.record.origin.quarantineKey] = item }
        var departures: [String: Departure] = [:]
        for departure in leaving where latest[departure.key] == nil { departures[departure.key] = departure }
        let keys = Array(latest.keys) + Array(departures.keys)
        guard !keys.isEmpty else { return [] }
        let previous = try await mapConcurrently(keys, width: 32) { key -> (day: String, at: Int64)? in
            guard let row = try await self.select(self.cql.quarantineSource, [.text(key)], limit: 1).first else { return nil }
            return (row.text(0), try row.int64(1))
        }
        try await count(
            keys.enumerated().map { index, key in
                (latest[key]?.record, previous[index], latest[key]?.position ?? departures[key]?.position, key)
            })

        var rows: [(cql: String, values: [CQLValue])] = []
        var removals: [(cql: String, values: [CQLValue])] = []
        var sources: [(cql: String, values: [CQLValue])] = []
        for (key, old) in zip(keys, previous) {
            guard let record = latest[key]?.record else {
                if let old {
                    removals.append((cql.deleteQuarantine, [.text(old.day), .timestamp(old.at), .text(key)]))
                    sources.append((cql.deleteQuarantineSource, [.text(key)]))
                }
                continue
            }
            let day = Day.text(of: record.quarantinedAt)
            let reasons = Reasons(record.reasons).codes.map(\.rawValue)
            rows.append(
                (
                    cql.insertQuarantine,
                    [
                        .text(day), .timestamp(record.quarantinedAt), .text(key), .text(reasons.joined(separator: ",")),
                        .blob(record.payload), .text(record.origin.json),
                    ]
                ))
            sources.append((cql.insertQuarantineSource, [.text(key), .text(day), .timestamp(record.quarantinedAt)]))
            if let old, old.day != day || old.at != record.quarantinedAt {
                removals.append((cql.deleteQuarantine, [.text(old.day), .timestamp(old.at), .text(key)]))
            }
        }
        try await write(rows)
        try await write(removals)
        try await write(sources)
        return Set(
            zip(keys, previous).compactMap { key, old in
                guard let record = latest[key]?.record, old?.at != record.quarantinedAt else { return nil }
                return key
            })
    }

    /// The reason under which a day's count of records (not of reasons) is kept.
    static let allReasons = "*"

    /// The shard of the counts that records read at `position` go to; records of a batch made by
    /// hand go to the shard `direct` (a partition key may not be empty).
    static func shard(_ position: LogPosition?) -> String {
        position.map { "\($0.topic)/\($0.partition)" } ?? "direct"
    }

    /// Counts each change not counted before: a new record (+1 on its day), a move (-1 where it
    /// was, +1 where it goes) or a departure (-1).
    private func count(_ changes: [(record: QuarantineRecord?, old: (day: String, at: Int64)?, position: LogPosition?, key: String)])
        async throws
    {
        var through: [String: Int64] = [:]
        for shard in Set(changes.compactMap { $0.position.map { Self.shard($0) } }) {
            through[shard] = try await select(cql.countedThrough, [.text(shard)], limit: 1).first.map { try $0.int64(0) } ?? -1
        }
        var deltas: [String: [String: [String: Int64]]] = [:]
        var reached: [String: Int64] = [:]
        func add(_ shard: String, _ day: String, _ reasons: [String], _ delta: Int64) {
            for reason in [Self.allReasons] + reasons { deltas[shard, default: [:]][day, default: [:]][reason, default: 0] += delta }
        }
        for change in changes {
            let shard = Self.shard(change.position)
            if let position = change.position {
                guard position.offset > through[shard]! else { continue }
                reached[shard] = max(reached[shard] ?? -1, position.offset)
            }
            let day = change.record.map { Day.text(of: $0.quarantinedAt) }
            if let old = change.old {
                if old.day == day && old.at == change.record?.quarantinedAt { continue }
                if let row = try await select(cql.quarantineReasonsOf, [.text(old.day), .timestamp(old.at), .text(change.key)], limit: 1).first {
                    add(shard, old.day, row.text(0).split(separator: ",").map(String.init), -1)
                }
            }
            if let record = change.record, let day {
                add(shard, day, Reasons(record.reasons).codes.map(\.rawValue), 1)
            }
        }
        for shard in Set(deltas.keys).union(reached.keys) {
            var statements: [(cql: String, values: [CQLValue])] = []
            for (day, changed) in deltas[shard] ?? [:] {
                var stored: [String: Int64] = [:]
                for row in try await select(cql.quarantineCounts, [.text(shard), .text(day)]) { stored[row.text(0)] = try row.int64(1) }
                for (reason, delta) in changed.sorted(by: { $0.key < $1.key }) where delta != 0 {
                    statements.append((cql.updateQuarantineCount, [.bigint((stored[reason] ?? 0) + delta), .text(shard), .text(day), .text(reason)]))
                }
            }
            if let offset = reached[shard] { statements.append((cql.updateCountedThrough, [.bigint(offset), .text(shard)])) }
            try await writeAtomically(statements)
        }
    }
}

extension CassandraStore {
    /// Adds what this batch brought to its minute of `quality_minutes`: trades accepted and records
    /// quarantined (with each reason), by the minute they are written. As with
    /// the quarantine's counts, each shard (the log partition the records were read from) has one
    /// writer and moves its last counted offset in the same single-partition batch, so that a
    /// record read again after a crash or a rebalance is not counted twice, and one whose count
    /// never landed is counted when it comes again.
    func countQuality(accepted: [LogPosition?], quarantined: [QuarantineItem], now: Int64) async throws {
        var changes: [(position: LogPosition?, kinds: [String])] = accepted.map { ($0, ["accepted"]) }
        for item in quarantined {
            changes.append((item.position, [Self.allReasons] + Reasons(item.record.reasons).codes.map(\.rawValue)))
        }
        guard !changes.isEmpty else { return }
        let minute = now - ((now % 60_000) + 60_000) % 60_000
        var through: [String: Int64] = [:]
        for shard in Set(changes.compactMap { $0.position.map { Self.shard($0) } }) {
            through[shard] = try await select(cql.qualityThrough, [.text(shard)], limit: 1).first.map { try $0.int64(0) } ?? -1
        }
        var deltas: [String: [String: Int64]] = [:]
        var reached: [String: Int64] = [:]
        for change in changes {
            let shard = Self.shard(change.position)
            if let position = change.position {
                guard position.offset > through[shard]! else { continue }
                reached[shard] = max(reached[shard] ?? -1, position.offset)
            }
            for kind in change.kinds { deltas[shard, default: [:]][kind, default: 0] += 1 }
        }
        for shard in Set(deltas.keys).union(reached.keys).sorted() {
            var stored: [String: Int64] = [:]
            for row in try await select(cql.qualityMinute, [.text(shard), .timestamp(minute)]) { stored[row.text(0)] = try row.int64(1) }
            var statements: [(cql: String, values: [CQLValue])] = []
            for (kind, delta) in (deltas[shard] ?? [:]).sorted(by: { $0.key < $1.key }) {
                statements.append((cql.updateQualityMinute, [.bigint((stored[kind] ?? 0) + delta), .text(shard), .timestamp(minute), .text(kind)]))
            }
            if let offset = reached[shard] { statements.append((cql.updateQualityThrough, [.bigint(offset), .text(shard)])) }
            // A shard that has counted before is listed already: it was, before its first count.
            if (through[shard] ?? -1) < 0 { try await write([(cql.insertQualityShard, [.text(shard)])]) }
            try await writeAtomically(statements)
        }
    }
}
