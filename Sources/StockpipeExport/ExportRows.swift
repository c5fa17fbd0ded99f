import StockpipeCore
import StockpipeJSON

/// The CSV header and row of each kind, and its NDJSON document.
enum ExportRows {
    static func header(_ kind: ExportKind) -> [String] {
        switch kind {
        case .trades: ["time", "timestamp", "symbol", "price", "volume", "conditions", "id"]
        case .candles:
            ["start_time", "start", "symbol", "interval", "open", "high", "low", "close", "volume", "vwap", "trades", "backfilled"]
        case .quotes:
            [
                "received_time", "received_at", "symbol", "current", "change", "percent_change", "high", "low", "open",
                "previous_close", "timestamp",
            ]
        case .quarantine:
            [
                "quarantined_at", "quarantined_at_ms", "reasons", "source", "topic", "partition", "offset", "occurrence",
                "original_size", "truncated", "error", "payload",
            ]
        }
    }

    static func csv(_ trade: Trade) -> [String] {
        [
            CSVText.isoTime(trade.timestamp), String(trade.timestamp), trade.symbol, CSVText.number(trade.price),
            CSVText.number(trade.volume), trade.conditions.joined(separator: ";"), trade.id.description,
        ]
    }

    static func csv(_ candle: Candle) -> [String] {
        [
            CSVText.isoTime(candle.start), String(candle.start), candle.symbol, Candle.intervalName(candle.interval),
            CSVText.number(candle.open), CSVText.number(candle.high), CSVText.number(candle.low), CSVText.number(candle.close),
            CSVText.number(candle.volume), candle.vwap.map(CSVText.number) ?? "", String(candle.trades),
            candle.backfilled ? "true" : "false",
        ]
    }

    static func csv(_ quote: Quote) -> [String] {
        [
            CSVText.isoTime(quote.receivedAt), String(quote.receivedAt), quote.symbol, CSVText.number(quote.current),
            quote.change.map(CSVText.number) ?? "", quote.percentChange.map(CSVText.number) ?? "", CSVText.number(quote.high),
            CSVText.number(quote.low), CSVText.number(quote.open), CSVText.number(quote.previousClose), String(quote.timestamp),
        ]
    }

    static func csv(_ record: QuarantineRecord) -> [String] {
        let origin = record.origin.document
        return [
            CSVText.isoTime(record.quarantinedAt), String(record.quarantinedAt), record.reasons.map(\.rawValue).joined(separator: ";"),
            origin.source, origin.topic, String(origin.partition), String(origin.offset), String(origin.occurrence ?? 0),
            origin.originalSize.map(String.init) ?? "", origin.truncated == true ? "true" : "false", origin.error ?? "",
            String(decoding: record.payload, as: UTF8.self),
        ]
    }
}
