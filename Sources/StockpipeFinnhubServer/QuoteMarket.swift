import StockpipeCore
import StockpipeSources
import Synchronization

/// Quotes that move between calls: a random walk per symbol from the simulator's reference price.
/// Symbols the simulator does not know get all zeros, as Finnhub answers for unknown symbols.
final class QuoteMarket: Sendable {
    private struct Day {
        var open: Double
        var high: Double
        var low: Double
        var last: Double
        var previousClose: Double
    }

    private let days = Mutex<[String: Day]>([:])
    private let random: Mutex<SplitMix>

    init(seed: UInt64) {
        random = Mutex(SplitMix(seed: seed))
    }

    /// `{"c","d","dp","h","l","o","pc","t"}` as numbers, `t` in Unix seconds.
    func quote(_ symbol: String, now: Int64) -> [(String, Double)] {
        guard Simulator.knows(symbol) else {
            return ["c", "d", "dp", "h", "l", "o", "pc", "t"].map { ($0, 0) }
        }
        let step = random.withLock { $0.nextDouble() - 0.5 }
        let day = days.withLock { days -> Day in
            var day =
                days[symbol]
                ?? {
                    let base = Simulator.referencePrice(symbol)
                    return Day(open: base, high: base, low: base, last: base, previousClose: base * 0.995)
                }()
            day.last = max(0.01, day.last * (1 + step * 0.002))
            day.high = max(day.high, day.last)
            day.low = min(day.low, day.last)
            days[symbol] = day
            return day
        }
        // Quoted to the cent, or to five places below 10 (currencies), as Finnhub quotes them.
        let scale = day.last < 10 ? 100_000.0 : 100.0
        func price(_ value: Double) -> Double { (value * scale).rounded() / scale }
        let change = price(day.last) - price(day.previousClose)
        return [
            ("c", price(day.last)), ("d", price(change)), ("dp", (change / day.previousClose * 10_000).rounded() / 100),
            ("h", price(day.high)), ("l", price(day.low)), ("o", price(day.open)), ("pc", price(day.previousClose)),
            ("t", Double(now / 1_000)),
        ]
    }
}

/// A small deterministic generator, so that a seeded server answers the same way each run.
struct SplitMix: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
