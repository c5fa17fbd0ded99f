import StockpipeCore
import StockpipeJSON

/// A `/stock/candle` answer: `{"s":"ok","t":[..],"o":[..],"h":[..],"l":[..],"c":[..],"v":[..]}`
/// with `t` in Unix seconds, or `{"s":"no_data"}`.
struct CandleAnswer {
    var candles: [Candle] = []
    var rejected: [ReasonCode: Int] = [:]
    var noData = false

    static func parse(_ body: [UInt8], symbol: String, token: FinnhubToken) throws(FinnhubError) -> CandleAnswer {
        var status: String?
        var error: String?
        var columns: [String: [Double?]] = [:]
        let parsed: Bool = body.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            guard reader.peekKind() == .object else { return false }
            do {
                try reader.forEachMember { key, reader in
                    switch (key.string, reader.peekKind()) {
                    case ("s", .string?): status = try reader.readString()
                    case ("error", .string?): error = try reader.readString()
                    case (let name, .array?) where ["t", "o", "h", "l", "c", "v"].contains(name):
                        var column: [Double?] = []
                        try reader.forEachElement { reader in
                            if reader.peekKind() == .number {
                                column.append(try reader.readNumber().double)
                            } else {
                                try reader.skipValue()
                                column.append(nil)
                            }
                        }
                        columns[name] = column
                    default:
                        try reader.skipValue()
                    }
                }
                return reader.isAtEnd()
            } catch {
                return false
            }
        }
        guard parsed else {
            // Finnhub answers some refusals with a 200 and plain text.
            throw FinnhubError.notCandleData(symbol: symbol, excerpt: excerpt(body, token: token))
        }
        if let error { throw FinnhubError.candleAnswerError(symbol: symbol, message: token.redact(error)) }
        var answer = CandleAnswer()
        switch status {
        case "no_data":
            answer.noData = true
            return answer
        case "ok":
            break
        default:
            throw FinnhubError.candleStatusMissing(symbol: symbol, excerpt: excerpt(body, token: token))
        }
        let names = ["t", "o", "h", "l", "c", "v"]
        let count = columns["t"]?.count ?? 0
        guard names.allSatisfy({ columns[$0]?.count == count }) else {
            answer.rejected[.malformed] = names.compactMap { columns[$0]?.count }.max() ?? 0
            return answer
        }
        for index in 0..<count {
            let values = names.map { columns[$0]![index] }
            guard let seconds = values[0], let open = values[1], let high = values[2], let low = values[3],
                let close = values[4], let volume = values[5]
            else {
                answer.rejected[.wrongType, default: 0] += 1
                continue
            }
            let start = Int64(exactly: seconds.rounded(.down)).map { $0 * 1_000 } ?? 0
            answer.candles.append(
                Candle(
                    symbol: symbol, interval: Candle.oneMinute, start: start - ((start % Candle.oneMinute) + Candle.oneMinute) % Candle.oneMinute,
                    open: open, high: high, low: low, close: close,
                    volumeUnits: volume.isFinite && volume >= 0 && volume < 1e18 ? FixedPoint.units(volume) : -1,
                    notionalUnits: 0, trades: 0, backfilled: true))
        }
        return answer
    }

    /// Keeps the candles that make sense and counts the others by reason: non-finite or
    /// non-positive prices, a negative volume, highs and lows that contradict open and close, times
    /// in the future or not a time at all.
    mutating func check(now: Int64) {
        candles.removeAll { candle in
            let prices = [candle.open, candle.high, candle.low, candle.close]
            let reason: ReasonCode? =
                if !prices.allSatisfy(\.isFinite) { .nonFinite } else if candle.start <= 0 { .wrongType } else if prices.contains(where: { $0 <= 0 })
                { .nonPositivePrice } else if candle.volumeUnits < 0 {
                    .negativeVolume
                } else if candle.low > min(candle.open, candle.close) || candle.high < max(candle.open, candle.close) {
                    .quoteInconsistent
                } else if candle.start > now + 60_000 { .timestampInFuture } else { nil }
            if let reason { rejected[reason, default: 0] += 1 }
            return reason != nil
        }
    }

    /// The start of a body, for an error message, with the token taken out.
    static func excerpt(_ body: [UInt8], token: FinnhubToken) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return "\"" + token.redact(text) + (body.count > 200 ? "…\"" : "\"")
    }
}
