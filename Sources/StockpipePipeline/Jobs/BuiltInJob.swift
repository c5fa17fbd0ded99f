import StockpipeCore

/// The jobs stockpipe knows how to run on a schedule.
public enum BuiltInJob: String, Sendable, CaseIterable {
    /// Freshness, quarantine rate and candle gaps, kept in the store and shown by `status`, the API and `/metrics`.
    case qualityReport = "quality-report"
    /// The log's retention per topic, and the store's (`retention.store`).
    case retention
    /// Sends quarantined records through validation again after the validation rules changed.
    case redrive
    /// One round of Finnhub REST quotes, for processes that run no ingest stage of their own.
    case quotePoll = "quote-poll"

    public var summary: String {
        switch self {
        case .qualityReport: "data-quality report: freshness per symbol, quarantine rate, gaps in candles"
        case .retention: "removes what is older than the log's and the store's retention"
        case .redrive: "re-drives quarantined records once the validation rules have changed"
        case .quotePoll: "polls one Finnhub REST quote per symbol into staging"
        }
    }
}
