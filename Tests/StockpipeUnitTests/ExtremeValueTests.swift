import StockpipeCore
import StockpipePipeline
import Testing

/// Trades at the edges of what numbers can be: each is valid or quarantined with a reason, and the
/// candles' sums cannot trap.
@Suite("Extreme values")
struct ExtremeValueTests {
    let now: Int64 = 1_732_480_000_000

    func reasons(_ json: String, rules: ValidationRules = ValidationRules()) throws -> [ReasonCode] {
        var validator = try Validator(rules: rules)
        switch validator.validate(tradeJSON: Array(json.utf8), occurrence: 0, receivedAt: now) {
        case .valid: return []
        case .invalid(let codes): return codes
        case .undecided: Issue.record("undecided with no trades to come"); return []
        }
    }

    @Test(
        "values the candles cannot hold are out_of_range",
        arguments: [
            #"{"s":"AAPL","p":1e12,"t":1732480000000,"v":1e9}"#,
            #"{"s":"AAPL","p":1.79e308,"t":1732480000000,"v":1}"#,
            #"{"s":"AAPL","p":187.5,"t":1732480000000,"v":1e30}"#,
            #"{"s":"AAPL","p":1e8,"t":1732480000000,"v":1e7}"#,
            #"{"s":"AAPL","p":5e-324,"t":1732480000000,"v":1}"#,
            #"{"s":"AAPL","p":1e-9,"t":1732480000000,"v":1}"#,
        ])
    func outOfRange(json: String) throws {
        #expect(try reasons(json) == [.outOfRange])
    }

    @Test func theLimitsComeFromTheRules() throws {
        var rules = ValidationRules()
        #expect(try reasons(#"{"s":"BRK.A","p":700000,"t":1732480000000,"v":2}"#, rules: rules).isEmpty)
        rules.maxPrice = 500_000
        #expect(try reasons(#"{"s":"BRK.A","p":700000,"t":1732480000000,"v":2}"#, rules: rules) == [.outOfRange])
        rules.maxVolume = 10
        #expect(try reasons(#"{"s":"SHIB","p":0.00001,"t":1732480000000,"v":11}"#, rules: rules) == [.outOfRange])
        // Zero volume (FX prints) and the smallest price allowed stay valid.
        #expect(try reasons(#"{"s":"OANDA:EUR_USD","p":0.000001,"t":1732480000000,"v":0}"#).isEmpty)
    }

    @Test func timestampsAtTheEndsOfInt64AreJudgedNotTrapped() throws {
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":999999999999999999,"v":1}"#) == [.timestampInFuture])
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":-999999999999999999,"v":1}"#) == [.timestampTooOld])
        // Whole numbers too long to read exactly are still times (before, wrong_type).
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":9223372036854775807,"v":1}"#) == [.timestampInFuture])
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":-9223372036854775808,"v":1}"#) == [.timestampTooOld])
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":1e18,"v":1}"#) == [.timestampInFuture])
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":123456789012345678901234567890,"v":1}"#) == [.timestampInFuture])
        #expect(try reasons(#"{"s":"AAPL","p":1,"t":1732480000000.5,"v":1}"#) == [.wrongType])
    }

    @Test func fixedPointSaturatesInsteadOfTrapping() {
        #expect(FixedPoint.units(1.79e308) == .max)
        #expect(FixedPoint.units(-.infinity) == .min)
        #expect(FixedPoint.units(.nan) == 0)
        #expect(FixedPoint.adding(.max - 1, 5) == .max)
        #expect(FixedPoint.adding(.max, -5) == .max, "a saturated sum stays a bound")
        #expect(FixedPoint.notional(price: FixedPoint.units(1e12), volume: FixedPoint.units(1e12)) == .max)
        #expect(FixedPoint.notional(price: FixedPoint.units(-1e12), volume: FixedPoint.units(1e12)) == .min)
        let candle = Candle(
            symbol: "AAPL", interval: 60_000, start: 0, open: 1, high: 1, low: 1, close: 1,
            volumeUnits: 10, notionalUnits: .max, trades: 2)
        #expect(candle.vwap == nil, "no VWAP is better than a wrong one")
    }
}
