import StockpipeCore
import StockpipePipeline
import Testing

/// Replays of history: "in the future" is judged against the stream's own time.
@Suite("Stream time")
struct StreamTimeTests {
    let wall: Int64 = 1_800_000_000_000

    /// Validates `times` (one AAPL trade each, 100.0) in order, as the validate stage does with a
    /// batch; returns the indices quarantined as in the future.
    func futureIndices(_ times: [Int64], prices: [Double]? = nil) throws -> [Int] {
        var validator = try Validator(rules: ValidationRules())
        var future: [Int] = []
        for (index, time) in times.enumerated() {
            let price = prices?[index] ?? 100
            let json = Array(#"{"s":"AAPL","p":\#(price),"t":\#(time),"v":1}"#.utf8)
            let later = { (count: Int) in
                Validator.LaterTrades(timestamps: Array(times[(index + 1)...].prefix(count)), complete: true)
            }
            if case .invalid(let codes) = validator.validate(tradeJSON: json, occurrence: 0, receivedAt: wall, later: later),
                codes.contains(.timestampInFuture)
            {
                future.append(index)
            }
        }
        return future
    }

    @Test func aTradeAheadOfItsNeighboursIsInTheFutureThoughInTheWallClocksPast() throws {
        let start = wall - 5 * 86_400_000
        var times = (0..<100).map { start + Int64($0) * 1_000 }
        times[50] = times[50] + 2 * 86_400_000
        times[51] = times[51] + 2 * 86_400_000 + 7  // two in a row
        #expect(try futureIndices(times) == [50, 51])
    }

    @Test func theFirstTradeIsJudgedByTheOnesAfterIt() throws {
        let start = wall - 5 * 86_400_000
        var times = (0..<10).map { start + Int64($0) * 1_000 }
        times[0] += 2 * 86_400_000
        #expect(try futureIndices(times) == [0])
    }

    @Test func aNightOrAWeekendWithoutTradesIsNotTheFuture() throws {
        let friday = wall - 6 * 86_400_000
        let monday = friday + 65 * 3_600_000
        let times = (0..<20).map { friday + Int64($0) * 1_000 } + (0..<20).map { monday + Int64($0) * 1_000 }
        #expect(try futureIndices(times).isEmpty)
    }

    /// Three bad timestamps in one message (found by a red-team pass: with three trades of
    /// evidence, two of them confirmed the third) neither pass nor take the price rule away.
    @Test func aBurstOfBadTimestampsCannotConfirmItself() throws {
        let start = wall - 3 * 86_400_000
        var times = (0..<300).map { start + Int64($0) * 1_000 }
        var prices = [Double](repeating: 410, count: 300)
        for index in [150, 151, 153] { times[index] += 2 * 86_400_000 }
        prices[200] = 1_019
        var validator = try Validator(rules: ValidationRules())
        var future: [Int] = []
        var jumps: [Int] = []
        for (index, time) in times.enumerated() {
            let json = Array(#"{"s":"MSFT","p":\#(prices[index]),"t":\#(time),"v":1}"#.utf8)
            let later = { (count: Int) in
                Validator.LaterTrades(timestamps: Array(times[(index + 1)...].prefix(count)), complete: true)
            }
            if case .invalid(let codes) = validator.validate(tradeJSON: json, occurrence: 0, receivedAt: wall, later: later) {
                if codes.contains(.timestampInFuture) { future.append(index) }
                if codes.contains(.priceJump) { jumps.append(index) }
            }
        }
        #expect(future == [150, 151, 153])
        #expect(jumps == [200])
    }

    /// A trade sent through again from the quarantine has no neighbours after it: it is judged
    /// against the clock as it stands and does not move it (before, it was accepted and did).
    @Test func aRedrivenTradeIsJudgedByTheClockAsItStands() throws {
        var validator = try Validator(rules: ValidationRules())
        let t = wall - 3 * 86_400_000
        func codes(_ time: Int64, price: Double = 100, redriven: Bool = false) -> [ReasonCode] {
            let json = Array(#"{"s":"AAPL","p":\#(price),"t":\#(time),"v":1}"#.utf8)
            if case .invalid(let codes) = validator.validate(tradeJSON: json, occurrence: 0, receivedAt: wall, redriven: redriven) {
                return codes
            }
            return []
        }
        #expect(codes(t).isEmpty)
        #expect(codes(t + 1_000).isEmpty)
        #expect(codes(t + 2 * 86_400_000, redriven: true) == [.timestampInFuture])
        #expect(codes(t + 2_000, redriven: true).isEmpty, "a redriven trade in the stream's time passes")
        #expect(validator.clock.latest == t + 1_000, "and moves nothing")
        #expect(codes(t + 3_000, price: 500) == [.priceJump])
    }

    @Test func aLateTradeDoesNotTakeThePriceReferenceAway() throws {
        var validator = try Validator(rules: ValidationRules())
        func outcome(_ price: Double, _ time: Int64) -> [ReasonCode] {
            let json = Array(#"{"s":"AAPL","p":\#(price),"t":\#(time),"v":1}"#.utf8)
            if case .invalid(let codes) = validator.validate(tradeJSON: json, occurrence: 0, receivedAt: wall) { return codes }
            return []
        }
        let t = wall - 86_400_000
        #expect(outcome(100, t).isEmpty)
        #expect(outcome(100, t - 3 * 86_400_000).isEmpty, "late, outside the window: not judged")
        #expect(outcome(180, t + 1_000) == [.priceJump], "the reference is still 100 at t")
    }
}
