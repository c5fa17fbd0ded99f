import StockpipeJSON

// The forms in which the API (`/api/v1/trades`, ...), the live feed and `stockpipe query ... --json`
// show the model, encoded with ``JSONOutput``; the OpenAPI document's schemas of the same names
// describe them (OpenAPIContractTests checks that they agree). The records on the topics are
// written by ``JSONWriter`` instead (Trade+JSON.swift, Quote.swift, QuarantineRecord.swift).

extension Trade {
    /// A trade without its id: `{"symbol","price","volume","timestamp","conditions"}`.
    public struct Document: Encodable, Sendable, Equatable {
        public var symbol: String
        public var price: Double
        public var volume: Double
        /// Unix ms.
        public var timestamp: Int64
        public var conditions: [String]
    }

    public var document: Document {
        Document(symbol: symbol, price: price, volume: volume, timestamp: timestamp, conditions: conditions)
    }
}

extension Candle {
    public struct Document: Encodable, Sendable, Equatable {
        public var symbol: String
        /// `1m`, `5m`, ...
        public var interval: String
        public var start: Int64
        public var open: Double
        public var high: Double
        public var low: Double
        public var close: Double
        public var volume: Double
        @NullWhenAbsent public var vwap: Double?
        public var trades: Int64
        /// Only when set (true), so that candles built from trades keep exactly the documented fields.
        public var backfilled: Bool?
    }

    public var document: Document {
        Document(
            symbol: symbol, interval: Candle.intervalName(interval), start: start, open: open, high: high, low: low,
            close: close, volume: volume, vwap: vwap, trades: trades, backfilled: backfilled ? true : nil)
    }
}

/// The stored quote is its own document, without the topic's `type`; an absent change is `null`.
extension Quote: Encodable {
    enum CodingKeys: String, CodingKey {
        case symbol, current, change, percentChange, high, low, open, previousClose, timestamp, receivedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(symbol, forKey: .symbol)
        try container.encode(current, forKey: .current)
        try container.encode(change, forKey: .change)  // `encode`, not `encodeIfPresent`: nil is written as null
        try container.encode(percentChange, forKey: .percentChange)
        try container.encode(high, forKey: .high)
        try container.encode(low, forKey: .low)
        try container.encode(open, forKey: .open)
        try container.encode(previousClose, forKey: .previousClose)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(receivedAt, forKey: .receivedAt)
    }

    public var document: Quote { self }
}

extension QuarantineRecord {
    /// The record as `bad_stock_data` carries it, the payload as text (invalid UTF-8 replaced).
    public struct Document: Encodable, Sendable, Equatable {
        public var reasons: [ReasonCode]
        public var payload: String
        public var origin: Origin.Document
        public var quarantinedAt: Int64
    }

    public var document: Document {
        Document(
            reasons: reasons, payload: String(decoding: payload, as: UTF8.self), origin: origin.document,
            quarantinedAt: quarantinedAt)
    }
}

extension Origin {
    /// The optional members only when they say something: `occurrence` when not 0, `originalSize`
    /// and `truncated` (true) for a cut payload, `error` for `store_rejected`.
    public struct Document: Encodable, Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var source: String
        public var occurrence: Int?
        public var originalSize: Int?
        public var truncated: Bool?
        public var error: String?
    }

    public var document: Document {
        Document(
            topic: topic, partition: partition, offset: offset, source: source, occurrence: occurrence == 0 ? nil : occurrence,
            originalSize: originalSize, truncated: originalSize == nil ? nil : true, error: error)
    }
}
