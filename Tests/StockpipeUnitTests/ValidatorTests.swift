import Foundation
import StockpipeCore
import StockpipePipeline
import Testing

@Suite("Validation of trades")
struct ValidatorTests {
    let now: Int64 = 1_732_480_000_000

    func validator(allowed: Set<String>? = nil) throws -> Validator {
        var rules = ValidationRules()
        rules.allowedSymbols = allowed
        return try Validator(rules: rules)
    }

    func reasons(_ json: String, allowed: Set<String>? = nil) throws -> [ReasonCode] {
        var validator = try validator(allowed: allowed)
        switch validator.validate(tradeJSON: Array(json.utf8), occurrence: 0, receivedAt: now) {
        case .valid: return []
        case .invalid(let codes): return codes
        case .undecided: Issue.record("undecided with no trades to come"); return []
        }
    }

    @Test(
        "each trade defect gets its reason code",
        arguments: [
            (#"{"s":"AAPL","p":187.5,"t":1732480000000,"v":100"#, ReasonCode.malformed),
            (#"{"s":"AAPL","t":1732480000000,"v":100}"#, .missingField),
            (#"{"s":"AAPL","p":null,"t":1732480000000,"v":100}"#, .nullField),
            (#"{"s":"AAPL","p":"187.5","t":1732480000000,"v":100}"#, .wrongType),
            (#"{"s":42,"p":187.5,"t":1732480000000,"v":100}"#, .wrongType),
            (#"{"s":"AAPL","p":187.5,"t":1732480000000.5,"v":100}"#, .wrongType),
            (#"{"s":"AAPL","p":187.5,"t":1732480000000,"v":100,"c":"1"}"#, .wrongType),
            (#"[1,2]"#, .wrongType),
            (#"{"s":"AAPL","p":NaN,"t":1732480000000,"v":100}"#, .nonFinite),
            (#"{"s":"AAPL","p":1e999,"t":1732480000000,"v":100}"#, .nonFinite),
            (#"{"s":"AAPL","p":0,"t":1732480000000,"v":100}"#, .nonPositivePrice),
            (#"{"s":"AAPL","p":-3.5,"t":1732480000000,"v":100}"#, .nonPositivePrice),
            (#"{"s":"AAPL","p":187.5,"t":1732480000000,"v":-1}"#, .negativeVolume),
            (#"{"s":"aapl!","p":187.5,"t":1732480000000,"v":100}"#, .invalidSymbol),
            (#"{"s":"","p":187.5,"t":1732480000000,"v":100}"#, .invalidSymbol),
            (#"{"s":"ZZZZ","p":187.5,"t":1732480000000,"v":100}"#, .symbolNotAllowed),
            (#"{"s":"AAPL","p":187.5,"t":1732566400000,"v":100}"#, .timestampInFuture),
            (#"{"s":"AAPL","p":187.5,"t":1732480000,"v":100}"#, .timestampTooOld),
        ])
    func defects(json: String, expected: ReasonCode) throws {
        #expect(try reasons(json, allowed: ["AAPL"]) == [expected])
    }

    @Test func wholeNumberPricesAreValid() throws {
        #expect(try reasons(#"{"s":"AAPL","p":150,"t":1732480000000,"v":100}"#).isEmpty)
        #expect(try reasons(#"{"s":"AAPL","p":150.0,"t":1732480000000,"v":0}"#).isEmpty)
    }

    @Test func conditionsMayBeAbsentOrNull() throws {
        #expect(try reasons(#"{"s":"AAPL","p":150,"t":1732480000000,"v":100,"c":null}"#).isEmpty)
        #expect(try reasons(#"{"s":"AAPL","p":150,"t":1732480000000,"v":100,"c":["1","12"]}"#).isEmpty)
    }

    @Test(
        "Finnhub's symbol forms are well formed",
        arguments: [
            "AAPL", "BRK.B", "BINANCE:BTCUSDT", "OANDA:EUR_USD", "IC MARKETS:1", "FXCM:EUR/USD", "BTC-USD",
        ])
    func symbolForms(symbol: String) throws {
        #expect(try reasons(#"{"s":"\#(symbol)","p":1.5,"t":1732480000000,"v":1}"#).isEmpty)
    }

    @Test func everyFailingRuleIsReported() throws {
        let codes = try reasons(#"{"s":"bad symbol!","p":-1,"t":1732480000000,"v":-5}"#)
        #expect(codes == [.nonPositivePrice, .negativeVolume, .invalidSymbol])
        #expect(try reasons(#"{"p":null,"t":"x","v":NaN}"#) == [.missingField, .nullField, .wrongType, .nonFinite])
    }

    @Test func priceJumpIsJudgedAgainstTheLastAcceptedPrice() throws {
        var validator = try validator()
        func check(_ price: String, at offset: Int64) -> Bool {
            let json = #"{"s":"AAPL","p":\#(price),"t":\#(now + offset),"v":1}"#
            if case .valid = validator.validate(tradeJSON: Array(json.utf8), occurrence: 0, receivedAt: now + offset) {
                return true
            }
            return false
        }
        #expect(check("100", at: 0))
        #expect(check("110", at: 1_000))
        #expect(!check("150", at: 2_000))  // +36% from 110: quarantined, reference stays 110
        #expect(check("115", at: 3_000))
        #expect(check("200", at: 3_000 + 16 * 60_000))  // reference older than the window: no judgement
    }

    @Test func priceReferencesSurviveARestart() throws {
        var first = try validator()
        _ = first.validate(tradeJSON: Array(#"{"s":"AAPL","p":100,"t":1732480000000,"v":1}"#.utf8), occurrence: 0, receivedAt: now)
        var restarted = try Validator(rules: ValidationRules())
        restarted.resume(first.state())
        let outcome = restarted.validate(
            tradeJSON: Array(#"{"s":"AAPL","p":300,"t":1732480001000,"v":1}"#.utf8),
            occurrence: 0, receivedAt: now)
        guard case .invalid(let codes) = outcome else {
            Issue.record("a 200% jump after a restart was accepted")
            return
        }
        #expect(codes == [.priceJump])
    }

    @Test func identityDependsOnContentAndOccurrence() throws {
        var validator = try validator()
        let json = Array(#"{"s":"AAPL","p":150,"t":1732480000000,"v":100,"c":["1"]}"#.utf8)
        func id(_ occurrence: Int) -> TradeID? {
            if case .valid(let trade) = validator.validate(tradeJSON: json, occurrence: occurrence, receivedAt: now) { return trade.id }
            return nil
        }
        #expect(id(0) != nil)
        #expect(id(0) == id(0))
        #expect(id(0) != id(1))
    }

    @Test func reasonCodesAreTheDocumentedOnes() {
        #expect(
            ReasonCode.allCases.map(\.rawValue) == [
                "malformed", "missing_field", "null_field", "wrong_type", "non_finite", "non_positive_price", "negative_volume",
                "invalid_symbol", "symbol_not_allowed", "timestamp_in_future", "timestamp_too_old", "duplicate", "price_jump",
                "quote_inconsistent", "no_data", "out_of_range", "store_rejected",
            ])
    }
}
