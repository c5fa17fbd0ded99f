import StockpipeCore
import StockpipeJSON
import StockpipePipeline

// The API's answers that are not the model's own documents (Model+Documents.swift) or the
// status report's (StatusReport+Document.swift). Each matches the OpenAPI schema of the name in
// its comment; OpenAPIContractTests checks that they agree.

/// `Error`: a request the API cannot answer.
struct ErrorDocument: Encodable, Sendable {
    var error: String
}

/// `Health`: `ok`, or `store unavailable`.
struct HealthDocument: Encodable, Sendable {
    var status: String
}

extension SymbolSummary {
    /// `SymbolSummary`: the symbol's last price, its change over the window and a sparkline.
    struct Document: Encodable, Sendable {
        var symbol: String
        var last: Double
        var change: Double
        var changePercent: Double
        var lastUpdate: Int64
        var sparkline: [Double]
    }

    var document: Document {
        // Rounded past any quoted precision, so that 189.49 - 189.50 reads -0.01, not -0.0099999;
        // `+ 0` makes a -0 that rounding leaves a plain 0.
        Document(
            symbol: symbol, last: last, change: (change * 1e8).rounded() / 1e8 + 0,
            changePercent: (changePercent * 100).rounded() / 100 + 0, lastUpdate: lastUpdate, sparkline: sparkline)
    }
}

/// `QualityCounts`: accepted trades and quarantined records per bucket, and the totals by reason.
struct QualityCountsDocument: Encodable, Sendable {
    struct Bucket: Encodable, Sendable {
        var start: Int64
        var accepted: Int64
        /// Records quarantined: each once, whatever its number of reasons.
        var records: Int64
        /// By reason code; reasons without records are left out. A record counts under each of its reasons.
        var quarantined: [String: Int64]
    }

    var bucket: String
    var from: Int64
    var series: [Bucket]
    var totals: [String: Int64]

    init(bucket: String, from: Int64, history: [QualityBucket]) {
        self.bucket = bucket
        self.from = from
        series = history.map { entry in
            Bucket(
                start: entry.start, accepted: entry.accepted, records: entry.quarantinedRecords,
                quarantined: Dictionary(entry.quarantined.map { ($0.key.rawValue, $0.value) }) { $0 + $1 })
        }
        totals = series.reduce(into: [:]) { totals, entry in totals.merge(entry.quarantined) { $0 + $1 } }
    }
}

/// One sample of the pipeline panel: per-stage rates and lag, the reconciliation, the latency.
struct PipelinePointDocument: Encodable, Sendable {
    struct Latency: Encodable, Sendable {
        var p50, p99, max: Int64
    }

    var at: Int64
    /// Records per second of ingest, validate and load, rounded.
    var rates: [String: Double]
    var lag: [String: Int64]
    var reconciliation: String
    @NullWhenAbsent var latencyMs: Latency?
    /// Whether this process stores trades and measures their latency (`stockpipe run`); with the
    /// stages elsewhere, the load processes serve it on their metrics port.
    var latencyMeasuredHere: Bool

    init(_ point: StatusSampler.Point) {
        at = point.at
        rates = Dictionary(uniqueKeysWithValues: ["ingest", "validate", "load"].map { ($0, (point.rates[$0] ?? 0).rounded()) })
        lag = point.lag
        reconciliation = point.reconciliation
        latencyMs = point.latency.map {
            Latency(p50: $0.p50.milliseconds, p99: $0.p99.milliseconds, max: $0.max.milliseconds)
        }
        latencyMeasuredHere = point.latencyMeasuredHere
    }
}

/// `Status`: `stockpipe status --json` and `pipeline`, the latest sample with the history before it.
struct StatusDocument: Encodable, Sendable {
    struct History: Encodable, Sendable {
        var history: [PipelinePointDocument]
    }

    var pipeline: JSONMerged<PipelinePointDocument, History>

    static func of(_ sample: StatusSampler.Sample) -> JSONMerged<StatusReport.Document, StatusDocument> {
        JSONMerged(
            sample.report.document,
            StatusDocument(
                pipeline: JSONMerged(
                    PipelinePointDocument(sample.point),
                    History(history: sample.history.map(PipelinePointDocument.init)))))
    }
}

/// A `tick` event of `/api/v1/stream`.
struct LiveEventDocument: Encodable, Sendable {
    /// The counts the status line shows, beside the pipeline's latest sample.
    struct Totals: Encodable, Sendable {
        var staged, stored, quarantined, pending: Int64
        var balanced: Bool
    }

    var at: Int64
    var symbols: [SymbolSummary.Document]
    /// Each symbol's last 1-minute candle.
    var candles: [Candle.Document]
    /// Trades newer than those sent before, oldest first; in a client's first event, the newest.
    var trades: [Trade.Document]
    var tradesSkipped: Int
    var status: JSONMerged<PipelinePointDocument, Totals>
    /// Set on a client's first event: its trades replace the page's tape instead of adding to it
    /// (a reconnected page would otherwise show them twice).
    var first = false
}
