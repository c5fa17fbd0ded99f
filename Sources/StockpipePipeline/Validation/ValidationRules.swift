import StockpipeCore

/// The thresholds of validation, from configuration.
public struct ValidationRules: Sendable, Equatable {
    /// How far past the time of receipt a trade may be stamped (clock skew), in milliseconds.
    public var maxFutureSkew: Int64 = 60_000
    /// How old a trade may be when received, in milliseconds.
    public var maxAge: Int64 = 7 * 86_400_000
    /// A price further than this fraction from the symbol's last accepted price is a `price_jump`.
    public var priceJumpFraction: Double = 0.20
    /// The last accepted price counts as a reference only if it is at most this old, in milliseconds.
    public var priceJumpWindow: Int64 = 15 * 60_000
    /// Accepts Finnhub's forms: `AAPL`, `BRK.B`, `BINANCE:BTCUSDT`, `OANDA:EUR_USD`, `IC MARKETS:1`.
    public var symbolPattern = ValidationRules.defaultSymbolPattern
    /// When set, symbols outside it are `symbol_not_allowed`.
    public var allowedSymbols: Set<String>?
    /// The largest price accepted; above it a trade is `out_of_range`. The default is far above any
    /// listed instrument and far below what the candles' fixed-point sums can hold.
    public var maxPrice: Double = 1e9
    /// The largest volume of one trade accepted; above it a trade is `out_of_range`.
    public var maxVolume: Double = 1e12
    /// The smallest price accepted: the candles add prices in units of 10⁻⁹, so below this a VWAP
    /// would be off by more than 0.1 %.
    public static let minPrice = 1e-6
    /// The largest price × volume of one trade: a minute's candle sums notionals in units of 10⁻¹⁸
    /// in 128 bits (up to 1.7 × 10²⁰), room for a million such trades.
    public static let maxNotional = 1e14

    public static let defaultSymbolPattern = #"^([A-Z][A-Z0-9 _.\-]{0,19}:)?[A-Z0-9][A-Z0-9._/=^\-]{0,29}$"#

    public init() {}
}
