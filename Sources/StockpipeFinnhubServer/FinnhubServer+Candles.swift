import Foundation
import HTTPTypes
import Hummingbird
import StockpipeCore
import StockpipeJSON
import StockpipeSources

extension FinnhubServer {
    /// Minutes one call may ask for; a longer span is refused as Finnhub refuses one.
    static let maxCandleMinutes: Int64 = 20_000

    /// `GET /api/v1/stock/candle?symbol=S&resolution=1&from=SECONDS&to=SECONDS`: one candle per
    /// minute up to now for symbols the simulator knows, `{"s":"no_data"}` for others.
    func candles(_ request: Request) async throws -> Response {
        let limitHeaders: HTTPFields
        switch try await admit(request) {
        case .refused(let response): return response
        case .admitted(let headers): limitHeaders = headers
        }
        if configuration.faults.candlesForbidden {
            return Self.json(.forbidden, #"{"error":"You don't have access to this resource."}"#, headers: limitHeaders)
        }
        let query = request.uri.queryParameters
        guard let symbol = query.get("symbol"), !symbol.isEmpty, query.get("resolution") == "1",
            let from = query.get("from").flatMap({ Int64($0) }), let to = query.get("to").flatMap({ Int64($0) }), from <= to
        else {
            return Self.json(
                .unprocessableContent, #"{"error":"symbol, resolution=1, from and to (Unix seconds) are required"}"#,
                headers: limitHeaders)
        }
        let first = (from + 59) / 60
        let last = min(to, WallClock.milliseconds() / 1_000) / 60
        guard last - first < Self.maxCandleMinutes else {
            return Self.json(.unprocessableContent, #"{"error":"Range too large"}"#, headers: limitHeaders)
        }
        guard Simulator.knows(symbol), first <= last else { return Self.json(.ok, #"{"s":"no_data"}"#, headers: limitHeaders) }
        let candles = (first...last).map { candle(symbol, minute: $0) }
        var writer = JSONWriter(capacity: candles.count * 64 + 64)
        writer.objectStart()
        for (name, value) in [("o", \MinuteCandle.open), ("h", \.high), ("l", \.low), ("c", \.close), ("v", \.volume)] {
            writer.key(dynamic: name)
            writer.arrayStart()
            for candle in candles { writer.number(candle[keyPath: value]) }
            writer.arrayEnd()
        }
        writer.key("t")
        writer.arrayStart()
        for minute in first...last { writer.integer(minute * 60) }
        writer.arrayEnd()
        writer.key("s"); writer.string("ok")
        writer.objectEnd()
        return Self.json(.ok, writer.string, headers: limitHeaders)
    }

    struct MinuteCandle {
        var open: Double, high: Double, low: Double, close: Double, volume: Double
    }

    /// The same candle for the same symbol, minute and seed on every call: a smooth daily swing
    /// around the simulator's reference price with a little noise, to the cent.
    func candle(_ symbol: String, minute: Int64) -> MinuteCandle {
        let base = Simulator.referencePrice(symbol)
        func price(_ minute: Int64) -> Double {
            let angle = Double(minute % 1_440) / 1_440 * 2 * .pi
            return base * (1 + 0.01 * sin(3 * angle) + 0.003 * sin(Double(minute) / 37))
        }
        var random = SplitMix(seed: configuration.seed ^ StableHasher.hash64(symbol).magnitude ^ UInt64(bitPattern: minute))
        let scale = base < 10 ? 100_000.0 : 100.0
        func rounded(_ value: Double) -> Double { (value * scale).rounded() / scale }
        let open = rounded(price(minute))
        let close = rounded(price(minute + 1))
        var high = rounded(max(open, close) * (1 + random.nextDouble() * 0.0008))
        let low = rounded(min(open, close) * (1 - random.nextDouble() * 0.0008))
        if let every = configuration.faults.badCandleEvery, minute % Int64(every) == 0 { high = low - 1 / scale }
        return MinuteCandle(open: open, high: high, low: low, close: close, volume: (100 + random.nextDouble() * 4_900).rounded())
    }
}
