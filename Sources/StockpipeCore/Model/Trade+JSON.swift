import StockpipeJSON

extension Trade {
    /// The `stock_data` form: `{"symbol","price","volume","timestamp","conditions","id"}`.
    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        return json(using: &writer)
    }

    /// The `stock_data` form, written with a writer kept across calls (it is reset first).
    public func json(using writer: inout JSONWriter) -> [UInt8] {
        writer.reset()
        writeJSON(to: &writer, includeID: true)
        return writer.bytes
    }

    /// Writes the trade; `stockpipe query trades --json` leaves out the id.
    public func writeJSON(to writer: inout JSONWriter, includeID: Bool) {
        writer.objectStart()
        writer.key("symbol"); writer.string(symbol)
        writer.key("price"); writer.number(price)
        writer.key("volume"); writer.number(volume)
        writer.key("timestamp"); writer.integer(timestamp)
        writer.key("conditions")
        writer.arrayStart()
        for condition in conditions { writer.string(condition) }
        writer.arrayEnd()
        if includeID {
            writer.key("id"); writer.hexString(high: id.high, low: id.low)
        }
        writer.objectEnd()
    }

    /// The trade as its `stock_data` form reads back: `Trade(json: json()) == asWritten`. The
    /// form is exact except that it writes no negative zero.
    public var asWritten: Trade {
        var trade = self
        trade.price += 0
        trade.volume += 0
        return trade
    }

    /// Reads the `stock_data` form.
    public init(json bytes: [UInt8]) throws {
        var symbol: String?
        var price: Double?
        var volume: Double?
        var timestamp: Int64?
        var id: TradeID?
        var conditions: [String] = []
        try bytes.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key == "symbol" {
                    symbol = try reader.readString()
                } else if key == "price" {
                    price = try reader.readNumber().double
                } else if key == "volume" {
                    volume = try reader.readNumber().double
                } else if key == "timestamp" {
                    timestamp = try reader.readNumber().integer
                } else if key == "conditions" {
                    try reader.beginArray()
                    while try reader.hasNextElement() { conditions.append(try reader.readString()) }
                } else if key == "id" {
                    id = TradeID(hexBytes: try reader.readStringBytes())
                } else {
                    try reader.skipValue()
                }
            }
        }
        guard let symbol, let price, let volume, let timestamp, let id else {
            throw ModelError.invalidRecord("stock_data record lacks a field: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        self.init(symbol: symbol, price: price, volume: volume, timestamp: timestamp, conditions: conditions, id: id)
    }
}

public enum ModelError: Error, CustomStringConvertible {
    case invalidRecord(String)
    public var description: String {
        switch self {
        case .invalidRecord(let detail): detail
        }
    }
}

extension Trade {
    /// The trade in Finnhub's own form (`{"s","p","t","v","c"}`), as a payload that can be staged again.
    public func finnhubJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 96)
        writer.objectStart()
        writer.key("s"); writer.string(symbol)
        writer.key("p"); writer.number(price)
        writer.key("t"); writer.integer(timestamp)
        writer.key("v"); writer.number(volume)
        writer.key("c")
        writer.arrayStart()
        for condition in conditions { writer.string(condition) }
        writer.arrayEnd()
        writer.objectEnd()
        return writer.bytes
    }
}
