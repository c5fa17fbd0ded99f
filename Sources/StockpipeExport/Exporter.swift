import StockpipeCore
import StockpipeJSON

/// Writes what an ``ExportQuery`` selects, page by page, so that memory stays the same whatever the
/// store holds: trades and quotes in pages of 10,000 from a cursor, candles a day at a time, the
/// quarantine from a ``QuarantineCursor``. Works on every ``Store``.
///
/// ```swift
/// let rows = try await Exporter(store: store).export(query, as: .csv) { chunk in
///     try file.write(contentsOf: chunk)
/// }
/// ```
public struct Exporter: Sendable {
    public let store: any Store
    /// Trades or quotes read from the store at a time.
    public var pageSize = 10_000
    /// Quarantined records read at a time (each holds up to 4 KiB of payload).
    public var quarantinePageSize = 1_000
    /// Bytes gathered before they go to the sink.
    public var chunkSize = 64 * 1024

    public init(store: any Store) {
        self.store = store
    }

    /// Writes a header (CSV) and every selected row to `sink`, in chunks; returns the rows written.
    public func export(
        _ query: ExportQuery, as format: ExportFormat, to sink: @escaping (ArraySlice<UInt8>) async throws -> Void
    ) async throws -> Int {
        var output = Output(format: format, limit: query.limit, chunkSize: chunkSize, sink: sink)
        if format == .csv { try await output.append(text: CSVText.row(ExportRows.header(query.kind))) }
        var symbols = query.symbols ?? []
        if query.symbols == nil && query.kind != .quarantine { symbols = try await store.symbols() }
        switch query.kind {
        case .trades:
            for symbol in symbols where !output.full { try await trades(symbol, query, &output) }
        case .candles:
            for symbol in symbols where !output.full { try await candles(symbol, query, &output) }
        case .quotes:
            for symbol in symbols where !output.full { try await quotes(symbol, query, &output) }
        case .quarantine:
            try await quarantine(query, &output)
        }
        try await output.flush()
        return output.rows
    }

    /// From a cursor of (time, the ids already written at that time): the store gives trades from
    /// a time on, so a page starts at the last one's time, asks for as many more as were written
    /// at that time, and leaves those out.
    private func trades(_ symbol: String, _ query: ExportQuery, _ output: inout Output) async throws {
        var from = max(0, query.from ?? 0)
        var writtenAtLast = Set<TradeID>()
        var page = pageSize
        while !output.full {
            let trades = try await store.trades(symbol: symbol, from: from, to: query.to, limit: page)
            let fresh = trades.filter { $0.timestamp != from || !writtenAtLast.contains($0.id) }
            for trade in fresh where !output.full {
                try await output.append(csv: ExportRows.csv(trade), json: trade.document)
                if trade.timestamp != from {
                    from = trade.timestamp
                    writtenAtLast.removeAll(keepingCapacity: true)
                }
                writtenAtLast.insert(trade.id)
            }
            guard trades.count == page, !fresh.isEmpty else { return }
            page = writtenAtLast.count + pageSize
        }
    }

    /// A day of 1-minute candles at a time, rolled up to the interval (every interval divides a day).
    private func candles(_ symbol: String, _ query: ExportQuery, _ output: inout Output) async throws {
        guard let span = try await store.candleSpan(symbol: symbol) else { return }
        let day: Int64 = 86_400_000
        let interval = query.interval
        let from = max(query.from.map { $0 - (($0 % interval) + interval) % interval } ?? span.lowerBound, span.lowerBound)
        let to = min(query.to ?? span.upperBound, span.upperBound)
        guard from <= to else { return }
        var window = from - ((from % day) + day) % day
        while window <= to && !output.full {
            let minutes = try await store.candles(symbol: symbol, from: max(window, from), to: min(window + day - 1, to))
            for candle in Candle.rollUp(minutes, to: interval) where !output.full {
                try await output.append(csv: ExportRows.csv(candle), json: candle.document)
            }
            window += day
        }
    }

    /// Quotes are keyed by the time they were polled, one per symbol and millisecond.
    private func quotes(_ symbol: String, _ query: ExportQuery, _ output: inout Output) async throws {
        var from = max(0, query.from ?? 0)
        while !output.full {
            let quotes = try await store.quotes(symbol: symbol, from: from, to: query.to, limit: pageSize)
            for quote in quotes where !output.full {
                try await output.append(csv: ExportRows.csv(quote), json: quote.document)
            }
            guard quotes.count == pageSize, let last = quotes.last else { return }
            from = last.receivedAt + 1
        }
    }

    /// Newest first, as `quarantine list` shows it; `to` is where it starts, `from` where it stops.
    private func quarantine(_ query: ExportQuery, _ output: inout Output) async throws {
        var cursor = query.to.map(QuarantineCursor.through)
        while !output.full {
            let records = try await store.quarantine(reason: query.reason, after: cursor, limit: quarantinePageSize)
            for record in records where !output.full {
                if let from = query.from, record.quarantinedAt < from { return }
                try await output.append(csv: ExportRows.csv(record), json: record.document)
            }
            guard records.count == quarantinePageSize, let last = records.last else { return }
            cursor = QuarantineCursor(after: last)
        }
    }
}

/// Rows gathered into chunks for the sink.
private struct Output {
    let format: ExportFormat
    let limit: Int?
    let chunkSize: Int
    let sink: (ArraySlice<UInt8>) async throws -> Void
    var buffer: [UInt8] = []
    var rows = 0

    init(format: ExportFormat, limit: Int?, chunkSize: Int, sink: @escaping (ArraySlice<UInt8>) async throws -> Void) {
        self.format = format
        self.limit = limit
        self.chunkSize = chunkSize
        self.sink = sink
        buffer.reserveCapacity(chunkSize + 4_096)
    }

    var full: Bool { limit.map { rows >= $0 } ?? false }

    mutating func append(text: String) async throws {
        buffer += text.utf8
        if buffer.count >= chunkSize { try await flush() }
    }

    mutating func append(csv fields: [String], json document: some Encodable) async throws {
        rows += 1
        switch format {
        case .csv: buffer += CSVText.row(fields).utf8
        case .ndjson:
            buffer += try JSONOutput.bytes(document)
            buffer.append(UInt8(ascii: "\n"))
        }
        if buffer.count >= chunkSize { try await flush() }
    }

    mutating func flush() async throws {
        guard !buffer.isEmpty else { return }
        try await sink(buffer[...])
        buffer.removeAll(keepingCapacity: true)
    }
}
