import StockpipeCQL
import StockpipeCore

extension CassandraStore {
    /// The days a symbol has rows on, newest first, within [from, to] when given.
    func days(of symbol: String, from: Int64? = nil, to: Int64? = nil) async throws -> [String] {
        let first = from.map { Day.text(of: $0) } ?? ""
        let last = to.map { Day.text(of: $0) } ?? "~"
        return try await select(cql.symbolDays, [.text(symbol)]).map { $0.text(0) }.filter { first <= $0 && $0 <= last }
    }

    public func trades(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Trade] {
        guard let slice = Self.slice(from, to) else { return [] }
        var trades: [Trade] = []
        let ascending = from != nil
        var days = try await days(of: symbol, from: from, to: to)
        if ascending { days.reverse() }
        for day in days where trades.count < limit {
            let rows = try await select(
                cql.trades(ascending: ascending, limit: limit - trades.count),
                [.text(symbol), .text(day)] + slice,
                limit: limit - trades.count)
            for row in rows {
                trades.append(
                    Trade(
                        symbol: symbol, price: try row.double(2), volume: try row.double(3), timestamp: try row.int64(0),
                        conditions: ConditionsText.decode(row.text(4)),
                        id: TradeID(bytes: row.blob(1)) ?? TradeID(high: 0, low: 0)))
            }
        }
        return ascending ? trades : trades.reversed()
    }

    public func candles(symbol: String, from: Int64?, to: Int64?) async throws -> [Candle] {
        guard let slice = Self.slice(from, to) else { return [] }
        var candles: [Candle] = []
        for day in try await days(of: symbol, from: from, to: to).reversed() {
            for row in try await select(cql.candles(ascending: true), [.text(symbol), .text(day)] + slice) {
                candles.append(try Self.candle(symbol, row))
            }
        }
        return candles
    }

    /// A row of ``Statements/candles(ascending:limit:)``.
    static func candle(_ symbol: String, _ row: CQLCells) throws -> Candle {
        let trades = try row.int64(7)
        return Candle(
            symbol: symbol, interval: Candle.oneMinute, start: try row.int64(0), open: try row.double(1),
            high: try row.double(2), low: try row.double(3), close: try row.double(4),
            volumeUnits: FixedPoint.value(row.blob(5)), notionalUnits: FixedPoint.value(row.blob(6)),
            trades: trades, backfilled: trades == 0)
    }

    public func quotes(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Quote] {
        guard let slice = Self.slice(from, to) else { return [] }
        var quotes: [Quote] = []
        let ascending = from != nil
        var days = try await days(of: symbol, from: from, to: to)
        if ascending { days.reverse() }
        for day in days where quotes.count < limit {
            let rows = try await select(
                cql.quotes(ascending: ascending, limit: limit - quotes.count),
                [.text(symbol), .text(day)] + slice,
                limit: limit - quotes.count)
            for row in rows {
                quotes.append(
                    Quote(
                        symbol: symbol, current: try row.double(2), change: try row.optionalDouble(3),
                        percentChange: try row.optionalDouble(4), high: try row.double(5), low: try row.double(6),
                        open: try row.double(7), previousClose: try row.double(8), timestamp: try row.int64(1),
                        receivedAt: try row.int64(0)))
            }
        }
        return ascending ? quotes : quotes.reversed()
    }

    /// Newest first across days, skipping days without records of `reason`; after a cursor, from
    /// the cursor's day on: the rest of its millisecond, then what is older.
    public func quarantine(reason: ReasonCode?, after cursor: QuarantineCursor?, limit: Int) async throws -> [QuarantineRecord] {
        let wanted = reason?.rawValue ?? Self.allReasons
        let perDay = try await quarantineDayCounts().compactMapValues { $0[wanted] }
        let cursorDay = cursor.map { Day.text(of: $0.quarantinedAt) }
        var records: [QuarantineRecord] = []
        for (day, count) in perDay.sorted(by: { $0.key > $1.key }) where count > 0 && records.count < limit {
            if let cursorDay, day > cursorDay { continue }
            // With a reason, the day's rows are filtered here, so the whole day may be read.
            let rowsWanted = reason == nil ? limit - records.count : Statements.scanLimit
            var rows: [CQLCells]
            if let cursor, day == cursorDay {
                rows = try await select(
                    cql.quarantineAtTimeAfterKey(limit: rowsWanted),
                    [.text(day), .timestamp(cursor.quarantinedAt), .text(cursor.key)], limit: rowsWanted)
                if rows.count < rowsWanted {
                    let more = reason == nil ? rowsWanted - rows.count : Statements.scanLimit
                    rows += try await select(
                        cql.quarantineOlder(limit: more), [.text(day), .timestamp(cursor.quarantinedAt)], limit: more)
                }
            } else {
                rows = try await select(cql.quarantine(limit: rowsWanted), [.text(day)], limit: rowsWanted)
            }
            for row in rows where records.count < limit {
                let reasons = Self.reasons(row.text(0))
                if let reason, !reasons.contains(reason) { continue }
                records.append(
                    QuarantineRecord(
                        reasons: reasons, payload: row.blob(1), origin: try Origin(json: row.text(2)),
                        quarantinedAt: try row.int64(3)))
            }
        }
        return records
    }

    public func symbols() async throws -> [String] {
        var symbols = Set<String>()
        for row in try await select(cql.allSymbolDays, []) {
            let (candles, quotes) = (try row.int64(3), try row.int64(5))
            if candles > 0 || quotes > 0 { symbols.insert(row.text(0)) }
        }
        return symbols.sorted()
    }

    public func candleSpan(symbol: String) async throws -> ClosedRange<Int64>? {
        var days: [String] = []
        for row in try await select(cql.allSymbolDays, []) where row.text(0) == symbol {
            if try row.int64(3) > 0 { days.append(row.text(1)) }
        }
        guard let firstDay = days.min(), let lastDay = days.max(), let everything = Self.slice(nil, nil) else { return nil }
        let first = try await select(cql.candles(ascending: true, limit: 1), [.text(symbol), .text(firstDay)] + everything, limit: 1)
        let last = try await select(cql.candles(ascending: false, limit: 1), [.text(symbol), .text(lastDay)] + everything, limit: 1)
        guard let start = try first.first?.int64(0), let end = try last.first?.int64(0) else { return nil }
        return start...max(start, end)
    }

    static func reasons(_ text: String) -> [ReasonCode] {
        text.split(separator: ",").compactMap { ReasonCode(rawValue: String($0)) }
    }

    /// Sums of the per-day counts: a few rows per symbol and day, not a scan of the data.
    public func counts() async throws -> StoreCounts {
        var trades: Int64 = 0
        var candles: Int64 = 0
        var backfilled: Int64 = 0
        var quotes: Int64 = 0
        var symbols: Set<String> = []
        for row in try await select(cql.allSymbolDays, []) {
            trades += try row.int64(2)
            candles += try row.int64(3)
            backfilled += try row.int64(4)
            quotes += try row.int64(5)
            if try row.int64(3) > 0 { symbols.insert(row.text(0)) }
        }
        var quarantined: Int64 = 0
        var byReason: [ReasonCode: Int64] = [:]
        for (_, counts) in try await quarantineDayCounts() {
            for (reason, count) in counts {
                if reason == Self.allReasons {
                    quarantined += count
                } else if let reason = ReasonCode(rawValue: reason), count > 0 {
                    byReason[reason, default: 0] += count
                }
            }
        }
        var counts = StoreCounts(
            trades: trades, candles: candles, symbols: Int64(symbols.count), quarantined: quarantined,
            quarantineByReason: byReason)
        counts.quotes = quotes
        counts.backfilledCandles = backfilled
        return counts
    }

    /// The quarantine's records per day and reason, summed over the shards that count them.
    func quarantineDayCounts() async throws -> [String: [String: Int64]] {
        var days: [String: [String: Int64]] = [:]
        for row in try await select(cql.allQuarantineCounts, []) where !row.text(0).isEmpty {
            days[row.text(0), default: [:]][row.text(1), default: 0] += try row.int64(2)
        }
        return days
    }
}
