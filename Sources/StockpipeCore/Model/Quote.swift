import StockpipeJSON

/// A validated REST quote (`GET /api/v1/quote`), with its time in Unix milliseconds.
public struct Quote: Sendable, Equatable {
    public var symbol: String
    public var current: Double
    public var change: Double?
    public var percentChange: Double?
    public var high: Double
    public var low: Double
    public var open: Double
    public var previousClose: Double
    public var timestamp: Int64
    /// When it was polled (Unix ms): one stored quote per symbol and poll.
    public var receivedAt: Int64

    public init(
        symbol: String, current: Double, change: Double?, percentChange: Double?, high: Double, low: Double,
        open: Double, previousClose: Double, timestamp: Int64, receivedAt: Int64
    ) {
        self.receivedAt = receivedAt
        self.symbol = symbol
        self.current = current
        self.change = change
        self.percentChange = percentChange
        self.high = high
        self.low = low
        self.open = open
        self.previousClose = previousClose
        self.timestamp = timestamp
    }

    /// The `stock_data` form: `{"type":"quote","symbol","current","change","percentChange","high","low","open","previousClose","timestamp"}`.
    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 200)
        writeJSON(to: &writer, includeType: true)
        return writer.bytes
    }

    public func writeJSON(to writer: inout JSONWriter, includeType: Bool) {
        writer.objectStart()
        if includeType { writer.key("type"); writer.string("quote") }
        writer.key("symbol"); writer.string(symbol)
        writer.key("current"); writer.number(current)
        writer.key("change"); if let change { writer.number(change) } else { writer.null() }
        writer.key("percentChange"); if let percentChange { writer.number(percentChange) } else { writer.null() }
        writer.key("high"); writer.number(high)
        writer.key("low"); writer.number(low)
        writer.key("open"); writer.number(open)
        writer.key("previousClose"); writer.number(previousClose)
        writer.key("timestamp"); writer.integer(timestamp)
        writer.key("receivedAt"); writer.integer(receivedAt)
        writer.objectEnd()
    }

    public init(json bytes: [UInt8]) throws {
        var numbers: [String: Double] = [:]
        var symbol: String?
        var timestamp: Int64?
        var receivedAt: Int64?
        try bytes.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            try reader.forEachMember { key, reader in
                let name = key.string
                if name == "symbol" {
                    symbol = try reader.readString()
                } else if name == "timestamp" {
                    timestamp = try reader.readNumber().integer
                } else if name == "receivedAt" {
                    receivedAt = try reader.readNumber().integer
                } else if reader.peekKind() == .number {
                    numbers[name] = try reader.readNumber().double
                } else {
                    try reader.skipValue()
                }
            }
        }
        guard let symbol, let timestamp, let receivedAt, let current = numbers["current"], let high = numbers["high"], let low = numbers["low"],
            let open = numbers["open"], let previousClose = numbers["previousClose"]
        else {
            throw ModelError.invalidRecord("quote record lacks a field: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        self.init(
            symbol: symbol, current: current, change: numbers["change"], percentChange: numbers["percentChange"],
            high: high, low: low, open: open, previousClose: previousClose, timestamp: timestamp, receivedAt: receivedAt)
    }
}
