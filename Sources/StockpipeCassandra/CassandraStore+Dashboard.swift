import StockpipeCQL
import StockpipeCore

extension CassandraStore {
    /// The per-day count rows: which symbols trade on which days.
    private func symbolDays() async throws -> [(symbol: String, day: String, trades: Int64, candles: Int64)] {
        try await select(cql.allSymbolDays, []).map { (($0.text(0)), $0.text(1), try $0.int64(2), try $0.int64(3)) }
    }

    public func symbolSummaries(window: Int64, sparkline: Int) async throws -> [SymbolSummary] {
        var daysBySymbol: [String: [String]] = [:]
        for row in try await symbolDays() where row.candles > 0 { daysBySymbol[row.symbol, default: []].append(row.day) }
        let wanted = max(1, sparkline)
        return try await mapConcurrently(daysBySymbol.sorted { $0.key < $1.key }, width: 8) { symbol, days in
            let days = days.sorted(by: >)
            var latest: [CQLCells] = []
            for day in days where latest.count < wanted {
                latest += try await self.select(
                    self.cql.candles(ascending: false, limit: wanted - latest.count),
                    [.text(symbol), .text(day)] + Self.slice(nil, nil)!, limit: wanted - latest.count)
            }
            guard let last = latest.first else { return nil as SymbolSummary? }
            let candle = try Self.candle(symbol, last)
            var reference = candle.close
            for day in days.reversed() where day >= Day.text(of: candle.start - window) {
                let rows = try await self.select(
                    self.cql.candles(ascending: true, limit: 1),
                    [.text(symbol), .text(day)] + Self.slice(candle.start - window, nil)!, limit: 1)
                if let first = rows.first {
                    reference = try first.double(1)
                    break
                }
            }
            var summary = SymbolSummary(
                symbol: symbol, last: candle.close,
                lastUpdate: candle.trades > 0 ? try last.int64(8) : candle.start + Candle.oneMinute - 1,
                reference: reference, sparkline: try latest.reversed().map { try $0.double(4) })
            summary.latest = candle
            return summary
        }.compactMap { $0 }
    }

    public func qualityHistory(from: Int64, bucket: Int64) async throws -> [QualityBucket] {
        let bucket = max(1, bucket)
        func floor(_ time: Int64) -> Int64 { time - ((time % bucket) + bucket) % bucket }
        // Minute 0 holds each shard's read_through, never a count.
        let start = max(1, floor(from))
        var buckets: [Int64: QualityBucket] = [:]
        for shard in try await select(cql.qualityShards, []) {
            for row in try await select(cql.qualityMinutes, [.text(shard.text(0)), .timestamp(start)]) {
                let time = floor(try row.int64(0))
                let records = try row.int64(2)
                switch row.text(1) {
                case "accepted": buckets[time, default: QualityBucket(start: time)].accepted += records
                case Self.allReasons: buckets[time, default: QualityBucket(start: time)].quarantinedRecords += records
                case let kind:
                    if let code = ReasonCode(rawValue: kind) {
                        buckets[time, default: QualityBucket(start: time)].quarantined[code, default: 0] += records
                    }
                }
            }
        }
        return buckets.values.sorted { $0.start < $1.start }
    }

    /// Backfilled candles have no trades and a zero notional (no VWAP), as in the embedded store.
    public func backfill(_ candles: [Candle]) async throws -> BackfillResult {
        try await writes.run {
            var groups: [PartitionKey: [Candle]] = [:]
            for candle in candles { groups[PartitionKey(symbol: candle.symbol, day: Day.text(of: candle.start)), default: []].append(candle) }
            var result = BackfillResult()
            for (key, candles) in groups {
                var stored: [Int64: Int64] = [:]
                let starts = candles.map(\.start)
                for row in try await self.select(self.cql.candlesForMerge, key.values + Self.slice(starts.min()!, starts.max()!)!) {
                    stored[try row.int64(0)] = try row.int64(7)
                }
                var statements: [(cql: String, values: [CQLValue])] = []
                let noID = [UInt8](repeating: 0, count: 16)
                for candle in candles {
                    switch stored[candle.start] {
                    case let trades? where trades > 0:
                        result.keptFromTrades += 1
                        continue
                    case .some: result.replaced += 1
                    case nil: result.inserted += 1
                    }
                    stored[candle.start] = 0
                    statements.append(
                        (
                            self.cql.insertCandle,
                            key.values + [
                                .timestamp(candle.start), .double(candle.open), .double(candle.high), .double(candle.low), .double(candle.close),
                                .blob(FixedPoint.bytes(candle.volumeUnits)), .blob(FixedPoint.bytes(0)), .bigint(0),
                                .bigint(candle.start), .blob(noID), .bigint(candle.start + Candle.oneMinute - 1), .blob(noID),
                            ]
                        ))
                }
                try await self.write(statements)
                try await self.recountCandles(of: key)
            }
            return result
        }
    }
}
