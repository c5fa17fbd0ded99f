import StockpipeCore

/// What `stockpipe export` and the API's CSV answers read from the store.
public enum ExportKind: String, Sendable, CaseIterable {
    case trades, candles, quotes, quarantine
}

/// How the rows are written: CSV with a header row (RFC 4180, CRLF line ends, times both as ISO 8601
/// UTC and as Unix ms), or one JSON document per line, the same documents the JSON API answers.
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, ndjson

    public var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .ndjson: "application/x-ndjson"
        }
    }
}

/// Which rows: of some symbols (all by default) in [from, to] (Unix ms, inclusive; everything by
/// default), candles at an interval, quarantined records with a reason, at most `limit`.
///
/// ```swift
/// var query = ExportQuery(kind: .candles)
/// query.symbols = ["AAPL"]
/// query.interval = Candle.intervals["1h"]!
/// ```
public struct ExportQuery: Sendable, Equatable {
    public var kind: ExportKind
    /// Nil exports every symbol the store has (not for the quarantine, whose records may have none).
    public var symbols: [String]?
    public var from: Int64?
    public var to: Int64?
    /// Candles only: their length in ms, one of ``Candle/intervals``.
    public var interval: Int64 = Candle.oneMinute
    /// Quarantine only.
    public var reason: ReasonCode?
    /// The most rows written; nil for all of them.
    public var limit: Int?

    public init(kind: ExportKind) {
        self.kind = kind
    }

    /// What is wrong with the query, in words naming the option, or nil. (`from` after `to` selects
    /// nothing, as in the JSON API.)
    public var problem: String? {
        if let limit, limit < 1 { return "--limit must be at least 1" }
        if kind != .candles && interval != Candle.oneMinute { return "--interval is for candles only" }
        if !Candle.intervals.values.contains(interval) {
            return "--interval must be one of \(Candle.intervalNames.joined(separator: ", "))"
        }
        if kind != .quarantine && reason != nil { return "--reason is for the quarantine only" }
        if kind == .quarantine && symbols != nil {
            return "the quarantine is not kept by symbol (a record may have none): leave out --symbol, or use --reason"
        }
        if symbols?.isEmpty == true { return "--symbol needs a symbol" }
        return nil
    }
}
