import StockpipeCore

/// How a simulated symbol trades: its asset class sets the price scale, tick, volatility, volume
/// and condition codes.
struct SymbolProfile {
    enum AssetClass { case stock, crypto, forex }

    var symbol: String
    var assetClass: AssetClass
    var price: Double
    /// Annualised volatility of the geometric Brownian motion.
    var volatility: Double
    /// Decimal places of the price.
    var decimals: Int
    /// Relative share of the trade flow.
    var weight: Double

    static let known: [String: SymbolProfile] = {
        let table: [(String, AssetClass, Double, Double, Int, Double)] = [
            ("AAPL", .stock, 189.5, 0.25, 2, 10), ("MSFT", .stock, 421.3, 0.22, 2, 8),
            ("AMZN", .stock, 186.2, 0.30, 2, 8), ("NVDA", .stock, 140.1, 0.50, 2, 12),
            ("TSLA", .stock, 251.4, 0.60, 2, 10), ("GOOGL", .stock, 171.8, 0.28, 2, 6),
            ("META", .stock, 562.9, 0.35, 2, 6), ("BRK.B", .stock, 471.2, 0.15, 2, 2),
            ("BINANCE:BTCUSDT", .crypto, 95_210.5, 0.60, 2, 9), ("BINANCE:ETHUSDT", .crypto, 3_312.4, 0.70, 2, 6),
            ("OANDA:EUR_USD", .forex, 1.05412, 0.08, 5, 3), ("OANDA:GBP_USD", .forex, 1.26871, 0.09, 5, 2),
        ]
        return Dictionary(
            uniqueKeysWithValues: table.map {
                ($0.0, SymbolProfile(symbol: $0.0, assetClass: $0.1, price: $0.2, volatility: $0.3, decimals: $0.4, weight: $0.5))
            })
    }()

    static let defaultSymbols = [
        "AAPL", "MSFT", "AMZN", "NVDA", "TSLA", "GOOGL", "META", "BRK.B",
        "BINANCE:BTCUSDT", "BINANCE:ETHUSDT", "OANDA:EUR_USD", "OANDA:GBP_USD",
    ]

    /// A known profile, or a plausible one derived from the symbol's name.
    static func profile(for symbol: String) -> SymbolProfile {
        if let known = known[symbol] { return known }
        var random = SeededRandom(seed: UInt64(bitPattern: symbol.utf8.reduce(Int64(5381)) { $0 &* 33 &+ Int64($1) }))
        let upper = symbol.uppercased()
        if upper.hasPrefix("OANDA:") || upper.hasPrefix("FXCM:") || upper.hasPrefix("FOREX") {
            return SymbolProfile(
                symbol: symbol, assetClass: .forex, price: 0.5 + random.unit() * 1.5, volatility: 0.1,
                decimals: 5, weight: 2)
        }
        if upper.contains(":") {
            return SymbolProfile(
                symbol: symbol, assetClass: .crypto, price: 1 + random.unit() * 500, volatility: 0.8,
                decimals: 4, weight: 4)
        }
        return SymbolProfile(
            symbol: symbol, assetClass: .stock, price: 10 + random.unit() * 490, volatility: 0.35,
            decimals: 2, weight: 5)
    }

    func rounded(_ price: Double) -> Double {
        let scale = [1.0, 10, 100, 1_000, 10_000, 100_000, 1_000_000][decimals]
        return max((price * scale).rounded() / scale, 1 / scale)
    }

    mutating func volume(_ random: inout SeededRandom) -> Double {
        switch assetClass {
        case .stock:
            if random.unit() < 0.3 { return Double(1 + random.next() % 99) }
            return 100 * Double(1 + Int(random.exponential(mean: 2)))
        case .crypto:
            return max((random.exponential(mean: 0.05) * 100_000).rounded() / 100_000, 0.00001)
        case .forex:
            return 0
        }
    }

    func conditions(_ random: inout SeededRandom) -> [String]? {
        switch assetClass {
        case .stock: random.pick([nil, ["1"], ["1", "12"], ["12", "37"], ["1", "8"], ["1"]])
        case .crypto, .forex: nil
        }
    }
}
