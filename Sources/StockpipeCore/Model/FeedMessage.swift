import StockpipeJSON

/// One message of the Finnhub WebSocket feed, classified for ingestion.
public enum FeedMessage {
    /// A trade message; each element is the byte range of one element of `data`.
    case trades([Range<Int>])
    case ping
    /// `{"type":"quote","symbol":...,"data":{...}}`: a REST quote as the quote poller stages it.
    case quote(symbol: String?)
    /// `{"type":"error","msg":...}`: reported to the operator, not stored.
    case error(String)
    /// Not JSON, or JSON that is not a message we know.
    case malformed

    /// Classifies one message. Never throws: anything unreadable is `.malformed`.
    public static func classify(_ bytes: UnsafeRawBufferPointer) -> FeedMessage {
        var reader = JSONReader(bytes)
        guard reader.peekKind() == .object else { return .malformed }
        var type: String?
        var message: String?
        var symbol: String?
        var items: [Range<Int>]?
        var dataWasNotArray = false
        do {
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key == "type" {
                    type = reader.peekKind() == .string ? try reader.readString() : nil
                    if type == nil { try reader.skipValue() }
                } else if key == "data" {
                    if reader.peekKind() == .array {
                        var ranges: [Range<Int>] = []
                        try reader.beginArray()
                        while try reader.hasNextElement() {
                            reader.skipWhitespace()
                            ranges.append(try reader.skipValue())
                        }
                        items = ranges
                    } else {
                        try reader.skipValue()
                        dataWasNotArray = true
                    }
                } else if key == "symbol" {
                    symbol = reader.peekKind() == .string ? try reader.readString() : nil
                    if symbol == nil { try reader.skipValue() }
                } else if key == "msg" {
                    message = reader.peekKind() == .string ? try reader.readString() : nil
                    if message == nil { try reader.skipValue() }
                } else {
                    try reader.skipValue()
                }
            }
            guard reader.isAtEnd() else { return .malformed }
        } catch {
            return .malformed
        }
        switch type {
        case "trade":
            guard let items, !dataWasNotArray else { return .malformed }
            return .trades(items)
        case "ping": return .ping
        case "quote": return .quote(symbol: symbol)
        case "error": return .error(message ?? "")
        default: return .malformed
        }
    }
}
