import Foundation
import StockpipeCore
import StockpipeJSON

/// A deterministic market: the same configuration gives the same messages, byte for byte.
///
/// Trades arrive as a Poisson process over the symbols (weighted by activity); each symbol's price
/// follows a geometric Brownian motion. Trades are grouped into messages by 100 ms windows, so a
/// message holds several trades of several symbols, as Finnhub's feed does. With `badFraction`
/// above zero, that share of records carries a defect, each kind that validation knows equally
/// often; ``injected`` counts them by the reason validation will give.
public struct Simulator {
    public struct Configuration: Sendable {
        public var symbols: [String]
        public var seed: UInt64
        /// Trades per second of simulated time.
        public var rate: Double
        /// Unix milliseconds of the first window.
        public var start: Int64
        public var badFraction: Double
        /// Whether validation will have these symbols as its allow-list (then `symbol_not_allowed`
        /// defects are injected too).
        public var allowListActive: Bool

        public init(
            symbols: [String] = Simulator.defaultSymbols, seed: UInt64 = 1, rate: Double = 1_000, start: Int64,
            badFraction: Double = 0, allowListActive: Bool = true
        ) {
            self.symbols = symbols
            self.seed = seed
            self.rate = rate
            self.start = start
            self.badFraction = badFraction
            self.allowListActive = allowListActive
        }
    }

    public static let defaultSymbols = SymbolProfile.defaultSymbols
    public static let windowMilliseconds: Int64 = 100
    static let pingEveryWindows = 200

    /// One line of feed output and what it holds.
    public struct Line: Sendable {
        public var bytes: [UInt8]
        /// Records this line contributes to `staging` (trades, or 1 for a malformed line; 0 for a ping).
        public var records: Int
        /// The simulated time at the end of its window.
        public var time: Int64
    }

    public let configuration: Configuration
    public private(set) var injected: [ReasonCode: Int] = [:]
    /// Records produced so far (trades plus malformed lines).
    public private(set) var records = 0

    private var random: SeededRandom
    private var profiles: [SymbolProfile]
    private let cumulativeWeights: [Double]
    private var lastValid: [Int: (time: Int64, price: Double)] = [:]
    private var recentValid: [[UInt8]] = []
    private var window = 0
    private var clock: Double
    private var kinds: [ReasonCode]

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        random = SeededRandom(seed: configuration.seed)
        profiles = configuration.symbols.map(SymbolProfile.profile(for:))
        var total = 0.0
        cumulativeWeights = profiles.map {
            total += $0.weight; return total
        }
        clock = Double(configuration.start)
        kinds = ReasonCode.tradeReasons.filter { $0 != .symbolNotAllowed || configuration.allowListActive }
    }

    /// The lines of the next 100 ms window (possibly none but a ping), up to `maxRecords` records.
    public mutating func nextWindow(maxRecords: Int = .max) -> [Line] {
        let windowEnd = configuration.start + Int64(window + 1) * Self.windowMilliseconds
        defer { window += 1 }
        var lines: [Line] = []
        if window % Self.pingEveryWindows == Self.pingEveryWindows - 1 {
            lines.append(Line(bytes: Array(#"{"type":"ping"}"#.utf8), records: 0, time: windowEnd))
        }
        var trades: [[UInt8]] = []
        var extra: [Line] = []
        var produced = 0
        let meanGap = 1000 / max(configuration.rate, 0.001)
        while produced < maxRecords {
            let next = clock + random.exponential(mean: meanGap)
            if next >= Double(windowEnd) { break }
            clock = next
            produced += 1
            let time = Int64(clock)
            let index = pickSymbol()
            advancePrice(index, to: time)
            if configuration.badFraction > 0, random.unit() < configuration.badFraction {
                let kind = random.pick(kinds)
                if let line = standaloneDefect(kind, time: windowEnd) {
                    extra.append(line)
                    injected[kind, default: 0] += 1
                    continue
                }
                if let bytes = defectiveTrade(kind, index: index, time: time) {
                    trades.append(bytes)
                    injected[kind, default: 0] += 1
                    continue
                }
            }
            let bytes = validTrade(index: index, time: time)
            trades.append(bytes)
            if !trades.dropLast().contains(bytes) {
                if recentValid.count == 64 { recentValid.removeFirst() }
                recentValid.append(bytes)
            }
        }
        if produced < maxRecords { clock = max(clock, Double(windowEnd)) }
        records += produced
        if !trades.isEmpty {
            var message: [UInt8] = Array(#"{"data":["#.utf8)
            for (offset, trade) in trades.enumerated() {
                if offset > 0 { message.append(UInt8(ascii: ",")) }
                message += trade
            }
            message += Array(#"],"type":"trade"}"#.utf8)
            lines.append(Line(bytes: message, records: trades.count, time: windowEnd))
        }
        return lines + extra
    }

    private mutating func pickSymbol() -> Int {
        let target = random.unit() * cumulativeWeights[cumulativeWeights.count - 1]
        return cumulativeWeights.firstIndex { $0 > target } ?? 0
    }

    private mutating func advancePrice(_ index: Int, to time: Int64) {
        let profile = profiles[index]
        let previous = lastValid[index]?.time ?? time
        let years = max(Double(time - previous), 1) / (365.25 * 86_400_000)
        let sigma = profile.volatility
        profiles[index].price *= Foundation.exp(-0.5 * sigma * sigma * years + sigma * years.squareRoot() * random.normal())
    }

    private mutating func validTrade(index: Int, time: Int64) -> [UInt8] {
        let price = profiles[index].rounded(profiles[index].price)
        lastValid[index] = (time, price)
        return tradeJSON(
            symbol: .string(profiles[index].symbol), price: .number(price), time: .integer(time),
            volume: .number(profiles[index].volume(&random)), conditions: profiles[index].conditions(&random))
    }

    /// A line of its own for the defects that are not a field of a trade.
    private mutating func standaloneDefect(_ kind: ReasonCode, time: Int64) -> Line? {
        switch kind {
        case .malformed:
            let text = random.pick([
                #"{"data":[{"s":"AAPL","p":189.5,"t":17"#, "not json at all", #"{"type":"news","data":[]}"#,
                #"[1,2,3]"#, #"{"data":[{"s":"MSFT","p":1}],"type":"trade"} trailing"#,
            ])
            return Line(bytes: Array(text.utf8), records: 1, time: time)
        case .duplicate:
            guard let copy = recentValid.last else { return nil }
            return Line(bytes: Array(#"{"data":["#.utf8) + copy + Array(#"],"type":"trade"}"#.utf8), records: 1, time: time)
        default:
            return nil
        }
    }

    private mutating func defectiveTrade(_ kind: ReasonCode, index: Int, time: Int64) -> [UInt8]? {
        let profile = profiles[index]
        let symbol = profile.symbol
        let price = profile.rounded(profile.price)
        let volume = max(profiles[index].volume(&random), 1)
        var fields: (s: Field, p: Field, t: Field, v: Field) = (.string(symbol), .number(price), .integer(time), .number(volume))
        let which = Int(random.next() % 4)
        switch kind {
        case .missingField: set(&fields, which, .absent)
        case .nullField: set(&fields, which, .null)
        case .wrongType: set(&fields, which, which == 0 ? .raw("42") : .string("\(price)"))
        case .nonFinite: fields.p = .raw(random.pick(["NaN", "Infinity", "-Infinity", "1e999"]))
        case .nonPositivePrice: fields.p = .number(random.pick([0, -price]))
        case .negativeVolume: fields.v = .number(-volume)
        case .outOfRange:
            // Beyond the default limits (a price of 10⁹, a volume of 10¹²), as a fat-fingered print would be.
            if random.next() % 2 == 0 { fields.p = .number(price * 1e10) } else { fields.v = .number(1e13) }
        case .invalidSymbol: fields.s = .string(random.pick(["", "aapl!", "BAD SYMBOL$", String(repeating: "X", count: 80)]))
        case .symbolNotAllowed:
            let outsiders = ["ZZZZ", "NOTLISTED", "BINANCE:DOGEUSDT"].filter { !configuration.symbols.contains($0) }
            guard !outsiders.isEmpty else { return nil }
            fields.s = .string(random.pick(outsiders))
        case .timestampInFuture: fields.t = .integer(time + 2 * 86_400_000)
        case .timestampTooOld: fields.t = .integer(time - 30 * 86_400_000)
        case .priceJump:
            // Only against a recent accepted price, which is what validation compares with.
            guard let last = lastValid[index], time - last.time < 5 * 60_000 else { return nil }
            fields.p = .number(profile.rounded(last.price * random.pick([0.5, 0.6, 1.6, 2.5])))
        default: return nil
        }
        return tradeJSON(symbol: fields.s, price: fields.p, time: fields.t, volume: fields.v, conditions: profile.conditions(&random))
    }

    enum Field {
        case string(String)
        case number(Double)
        case integer(Int64)
        case raw(String)
        case null, absent
    }

    private func set(_ fields: inout (s: Field, p: Field, t: Field, v: Field), _ which: Int, _ value: Field) {
        switch which {
        case 0: fields.s = value
        case 1: fields.p = value
        case 2: fields.t = value
        default: fields.v = value
        }
    }

    private func tradeJSON(symbol: Field, price: Field, time: Field, volume: Field, conditions: [String]?) -> [UInt8] {
        var writer = JSONWriter(capacity: 96)
        writer.objectStart()
        if let conditions {
            writer.key("c")
            writer.arrayStart()
            for condition in conditions { writer.string(condition) }
            writer.arrayEnd()
        }
        let fields: [(StaticString, Field)] = [("p", price), ("s", symbol), ("t", time), ("v", volume)]
        for (name, field) in fields {
            switch field {
            case .absent: continue
            case .string(let value): writer.key(name); writer.string(value)
            case .number(let value): writer.key(name); writer.number(value)
            case .integer(let value): writer.key(name); writer.integer(value)
            case .raw(let text): writer.key(name); writer.raw(Array(text.utf8))
            case .null: writer.key(name); writer.null()
            }
        }
        writer.objectEnd()
        return writer.bytes
    }
}

extension Simulator {
    /// Whether the simulator has a profile of its own for `symbol` (others get a made-up one).
    public static func knows(_ symbol: String) -> Bool { SymbolProfile.known[symbol] != nil }

    /// The price `symbol` starts from.
    public static func referencePrice(_ symbol: String) -> Double { SymbolProfile.profile(for: symbol).price }
}
