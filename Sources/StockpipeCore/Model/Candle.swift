/// An OHLCV candle. Open and close are the prices of the first and last trades by
/// (timestamp, identity), so a candle does not depend on the order trades arrived in.
public struct Candle: Sendable, Equatable {
    public var symbol: String
    /// Interval length in milliseconds (60 000 for 1m).
    public var interval: Int64
    /// Unix milliseconds, a multiple of `interval`.
    public var start: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    /// Sum of volumes in units of 10⁻⁹: integers, so the sum is exact whatever the arrival order.
    public var volumeUnits: Int128
    /// Sum of price × volume in units of 10⁻¹⁸, exact for the same reason.
    public var notionalUnits: Int128
    public var trades: Int64
    /// Some or all of it came from Finnhub's own candles (`stockpipe backfill`), not from stored
    /// trades: its volume is Finnhub's and it has no VWAP.
    public var backfilled: Bool

    public init(
        symbol: String, interval: Int64, start: Int64, open: Double, high: Double, low: Double, close: Double,
        volumeUnits: Int128, notionalUnits: Int128, trades: Int64, backfilled: Bool = false
    ) {
        self.symbol = symbol
        self.interval = interval
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volumeUnits = volumeUnits
        self.notionalUnits = notionalUnits
        self.trades = trades
        self.backfilled = backfilled
    }

    public var volume: Double { Double(volumeUnits) / FixedPoint.scale }

    /// Volume-weighted average price; nil when the volume is zero (as for many FX prints).
    /// Also nil when the notional sum has saturated (see ``FixedPoint/adding(_:_:)``): no VWAP is
    /// better than a wrong one.
    public var vwap: Double? {
        guard volumeUnits > 0, !backfilled, !FixedPoint.isSaturated(notionalUnits), !FixedPoint.isSaturated(volumeUnits) else {
            return nil
        }
        return Double(notionalUnits) / Double(volumeUnits) / FixedPoint.scale
    }

    public static let oneMinute: Int64 = 60_000

    /// Interval names accepted by `--interval`, in milliseconds.
    public static let intervals: [String: Int64] = [
        "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000,
    ]

    /// The interval names, shortest first: `1m, 5m, 15m, 1h, 1d`.
    public static var intervalNames: [String] { intervals.sorted { $0.value < $1.value }.map(\.key) }

    public static func intervalName(_ milliseconds: Int64) -> String {
        intervals.first { $0.value == milliseconds }?.key ?? "\(milliseconds / 1000)s"
    }

    /// Rolls 1-minute candles (sorted by start) up to a longer interval.
    public static func rollUp(_ candles: [Candle], to interval: Int64) -> [Candle] {
        guard interval > oneMinute else { return candles }
        var result: [Candle] = []
        for candle in candles {
            let start = candle.start - ((candle.start % interval) + interval) % interval
            if var last = result.last, last.symbol == candle.symbol, last.start == start {
                last.high = max(last.high, candle.high)
                last.low = min(last.low, candle.low)
                last.close = candle.close
                last.volumeUnits = FixedPoint.adding(last.volumeUnits, candle.volumeUnits)
                last.notionalUnits = FixedPoint.adding(last.notionalUnits, candle.notionalUnits)
                last.trades = last.trades &+ candle.trades
                last.backfilled = last.backfilled || candle.backfilled
                result[result.count - 1] = last
            } else {
                var rolled = candle
                rolled.interval = interval
                rolled.start = start
                result.append(rolled)
            }
        }
        return result
    }
}

/// Prices and volumes as integers of 10⁻⁹, so that sums do not depend on the order of addition.
public enum FixedPoint {
    public static let scale = 1e9

    /// `value` in units of 10⁻⁹, saturating at the ends of `Int128` (NaN is 0). Validation keeps
    /// stored values far inside the range (`out_of_range`); saturating makes a value that slipped
    /// past it wrong in one candle instead of a crash on every restart.
    public static func units(_ value: Double) -> Int128 {
        let scaled = (value * scale).rounded()
        if scaled.isNaN { return 0 }
        if scaled >= 0x1p127 { return .max }
        if scaled < -0x1p127 { return .min }
        return Int128(scaled)
    }

    /// A price in units times a volume in units (units of 10⁻¹⁸), saturating.
    public static func notional(price: Int128, volume: Int128) -> Int128 {
        let (product, overflow) = price.multipliedReportingOverflow(by: volume)
        guard overflow else { return product }
        return (price < 0) != (volume < 0) ? .min : .max
    }

    /// A sum that sticks at the ends of `Int128` instead of trapping.
    public static func adding(_ a: Int128, _ b: Int128) -> Int128 {
        if isSaturated(a) { return a }
        if isSaturated(b) { return b }
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b > 0 ? .max : .min
    }

    /// Whether a sum has hit an end of the range, so its value is a bound, not a total.
    public static func isSaturated(_ value: Int128) -> Bool {
        value == .max || value == .min
    }

    /// 16 big-endian bytes, for storage.
    public static func bytes(_ value: Int128) -> [UInt8] {
        let bits = UInt128(bitPattern: value)
        return (0..<16).map { UInt8(truncatingIfNeeded: bits >> (120 - 8 * $0)) }
    }

    public static func value(_ bytes: [UInt8]) -> Int128 {
        bytes.withUnsafeBytes { value($0) }
    }

    /// From stored bytes in place (a database row's blob), without copying them.
    public static func value(_ bytes: UnsafeRawBufferPointer) -> Int128 {
        var bits: UInt128 = 0
        for byte in bytes.prefix(16) { bits = bits << 8 | UInt128(byte) }
        return Int128(bitPattern: bits)
    }
}
