/// The valid range of each setting that has one (durations in milliseconds); the README's
/// configuration table lists the same.
public enum SettingLimits {
    static let second: Int64 = 1_000, minute: Int64 = 60_000, day: Int64 = 86_400_000
    /// 100 years: no duration setting may be longer, whatever its own range.
    public static let longestDuration: Int64 = 36_500 * day
    static let rate: ClosedRange<Double> = 0...1_000_000
    static let batchSize = 1...100_000
    static let maxFutureSkew: ClosedRange<Int64> = 0...day
    static let maxAge: ClosedRange<Int64> = second...(3_650 * day)
    static let priceJumpWindow: ClosedRange<Int64> = second...(7 * day)
    static let priceJumpPercent: ClosedRange<Double> = 0...10_000
    static let maxPrice: ClosedRange<Double> = 0...1e12
    static let maxVolume: ClosedRange<Double> = 0...1e15
    static let topicRetention: ClosedRange<Int64> = minute...(3_650 * day)
    static let storeRetention: ClosedRange<Int64> = 0...longestDuration
    static let cassandraTTL: ClosedRange<Int64> = second...(7_300 * day)
    static let finnhubMaxSymbols = 1...10_000
    static let finnhubStallTimeout: ClosedRange<Int64> = second...day
    static let finnhubQuoteInterval: ClosedRange<Int64> = second...day
    static let callsPerMinute = 1...1_000_000
    static let callsPerSecond = 1...100_000
    static let freshness: ClosedRange<Int64> = second...(30 * day)
    static let qualityWindow: ClosedRange<Int64> = minute...(30 * day)
    static let maxGapMinutes = 0...43_200
    static let jobTimeout: ClosedRange<Int64> = second...day
    static let jobAttempts = 1...100
    static let jobBackoff: ClosedRange<Int64> = 0...day
}
