import Foundation
import GRDB
import StockpipeModel
import StockpipePipeline
import StockpipeSources
import StockpipeStore
import Testing

/// Trades at the edges of what numbers can be: none may stop the pipeline, each is stored or
/// quarantined with a reason, and the counts reconcile.
@Suite("Extreme values", .timeLimit(.minutes(5)))
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

    @Test("values the candles cannot hold are out_of_range", arguments: [
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
        let candle = Candle(symbol: "AAPL", interval: 60_000, start: 0, open: 1, high: 1, low: 1, close: 1,
                            volumeUnits: 10, notionalUnits: .max, trades: 2)
        #expect(candle.vwap == nil, "no VWAP is better than a wrong one")
    }

    /// The store is the second line: trades that validation would refuse, written by hand, fold into
    /// candles without a trap. Before, Int128 overflowed on the first of them and every restart.
    @Test func theStoreHoldsSumsBeyondInt128() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        let trades = (0..<20).map { index in
            let trade = Trade(symbol: "AAPL", price: 1e10, volume: 1e9, timestamp: now + Int64(index),
                              conditions: [], id: TradeID(high: 1, low: UInt64(index)))
            return IncomingTrade(trade: trade, origin: Origin(topic: "t", partition: 0, offset: Int64(index), source: "s/\(index)"))
        } + [IncomingTrade(trade: Trade(symbol: "AAPL", price: 1.79e308, volume: 1e30, timestamp: now + 30, conditions: [],
                                        id: TradeID(high: 2, low: 0)),
                           origin: Origin(topic: "t", partition: 0, offset: 99, source: "s/99"))]
        let result = try await store.write(StoreBatch(trades: trades).preparedForInsert())
        #expect(result.inserted == 21)
        let candles = try await store.candles(symbol: "AAPL", from: nil, to: nil)
        #expect(candles.count == 1)
        #expect(candles.first?.trades == 21)
        #expect(candles.first?.vwap == nil)
        #expect(candles.first?.high == 1.79e308)
        try await store.close()
    }

    /// The issue's trades, end to end through the real binary: before, the load stage died with
    /// SIGILL on the first and again on every restart.
    @Test func extremeTradesAreQuarantinedAndTheRunEnds() async throws {
        let directory = try TemporaryDirectory()
        let extremes = [
            trade("AAPL", price: "1e12", volume: "1e9"), trade("AAPL", price: "1.79e308"), trade("AAPL", volume: "1e30"),
        ] + (0..<20).map { trade("MSFT", price: "1e10", volume: "1e9", offsetMilliseconds: Int64($0)) }
        let file = try directory.write("f.ndjson", lines: [
            tradeMessage([trade("AAPL", price: "187.5")]),
            tradeMessage(extremes),
            tradeMessage([trade("AAPL", price: "187.6", offsetMilliseconds: 5)]),
        ])
        let data = directory.file("data")
        let run = try await runStockpipe(["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
                                          "--data-dir", data], timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stderr)")
        let status = try await runStockpipe(["status", "--json", "--data-dir", data])
        let json = try #require(try parseJSON(status.stdout) as? [String: Any])
        let store = try #require(json["store"] as? [String: Any])
        #expect(store["trades"] as? Int == 2)
        let byReason = try #require(json["quarantine"] as? [String: Any])
        #expect(byReason["out_of_range"] as? Int == 23)
        let reconciliation = try #require(json["reconciliation"] as? [String: Any])
        #expect(reconciliation["balanced"] as? Bool == true, "\(status.stdout)")
    }
}

/// Replays of history: "in the future" is judged against the stream's own time.
@Suite("Stream time", .timeLimit(.minutes(8)))
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
               codes.contains(.timestampInFuture) {
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
        var future: [Int] = [], jumps: [Int] = []
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

    /// Trade times are random: with `count / rate` as the span, some seeds ended minutes after
    /// now, and those trades were quarantined as in the future when replayed at once.
    @Test(arguments: [3, 4, 6])
    func simulatedHistoryEndsBeforeNow(seed: Int) async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("s.ndjson")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "20000", "--seed", String(seed), "--rate", "1"])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let times = text.matches(of: /"t":(\d{13})/).compactMap { Int64($0.1) }
        #expect(times.count > 15_000)
        #expect(times.max() ?? .max <= now, "the last trade is \(((times.max() ?? now) - now) / 1000) s after now")
    }

    /// The issue's case: three and a half days of data, every injected defect quarantined by its
    /// reason. Before, most future timestamps were accepted and turned the price-jump rule off.
    @Test func daysOfSimulatedHistoryAreQuarantinedExactlyAsInjected() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("history.ndjson")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "60000", "--seed", "7", "--rate", "0.2",
                                               "--bad-fraction", "0.05", "--json"])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let injected = try #require(try parseJSON(simulate.stdout) as? [String: Any])
        let counts = try #require(injected["injected"] as? [String: Int])
        #expect((counts["timestamp_in_future"] ?? 0) > 100)
        let data = directory.file("data")
        let run = try await runStockpipe(["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
                                          "--symbols", Simulator.defaultSymbols.joined(separator: ","), "--data-dir", data],
                                         timeout: .seconds(300))
        #expect(run.status == 0, "\(run.stderr)")
        let status = try await runStockpipe(["status", "--json", "--data-dir", data])
        let json = try #require(try parseJSON(status.stdout) as? [String: Any])
        let byReason = try #require(json["quarantine"] as? [String: Int])
        for (reason, count) in counts {
            #expect(byReason[reason, default: 0] == count, "\(reason)")
        }
        let reconciliation = try #require(json["reconciliation"] as? [String: Any])
        #expect(reconciliation["balanced"] as? Bool == true)
    }
}

/// A record the store refuses for good is quarantined with the store's error; the stage goes on.
@Suite("Store refusals", .timeLimit(.minutes(5)))
struct StoreRefusalTests {
    @Test func aTradeTheStoreRefusesIsQuarantinedAndTheRestStored() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let first = try directory.write("first.ndjson", lines: [tradeMessage([trade("AAPL")])])
        var settings = replaySettings(file: first, dataDirectory: data)
        _ = try await drain(settings)
        // A rule of the store's own, as a constraint of a real database would be.
        let queue = try DatabaseQueue(path: data + "/store.sqlite")
        try await queue.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_evil BEFORE INSERT ON trades WHEN NEW.symbol = 'EVIL'
                BEGIN SELECT RAISE(ABORT, 'EVIL is not welcome here'); END
                """)
        }
        try queue.close()
        let trades = (0..<50).map { trade($0 == 17 || $0 == 33 ? "EVIL" : "MSFT", price: "\(400 + Double($0) / 100)",
                                          offsetMilliseconds: Int64($0)) }
        settings.file = try directory.write("second.ndjson", lines: [tradeMessage(trades)])
        let report = try await drain(settings)
        #expect(report.balanced)
        #expect(report.store.trades == 49)
        #expect(report.store.quarantineByReason[.storeRejected] == 2)
        let quarantined = try await withBackends(data) { try await $0.store.quarantine(reason: .storeRejected, limit: 10) }
        #expect(quarantined.count == 2)
        #expect(quarantined.allSatisfy { $0.origin.error?.contains("EVIL is not welcome here") == true })
    }
}

/// A damaged store file is no refusal of records: the load stage stops with the damage named,
/// instead of quarantining good trades as store_rejected (which a red-team pass saw it do).
@Suite("Damaged store", .timeLimit(.minutes(5)))
struct DamagedStoreTests {
    @Test func aDamagedStoreStopsTheLoadStageAndQuarantinesNothing() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        // AAPL sorts before TSLA, and a batch is inserted in key order: AAPL's rows fill the first
        // leaf pages of the trades table, TSLA's the last.
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 600_000
        func at(_ symbol: String, _ time: Int64, price: String = "181") -> String {
            #"{"s":"\#(symbol)","p":\#(price),"t":\#(time),"v":1}"#
        }
        let first = ["AAPL", "TSLA"].flatMap { symbol in
            (0..<3_000).map { at(symbol, base + Int64($0), price: "\(180 + Double($0 % 100) / 100)") }
        }
        let file = try directory.write("first.ndjson", lines: stride(from: 0, to: first.count, by: 100).map {
            tradeMessage(Array(first[$0..<min($0 + 100, first.count)]))
        })
        let run = try await runStockpipe(["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard", "--no-scheduler",
                                          "--data-dir", data])
        #expect(run.status == 0, "\(run.stderr)")
        let store = data + "/store.sqlite"
        // dbstat's path orders the leaves as the keys: the first ones hold AAPL's earliest trades.
        let database = try DatabaseQueue(path: store)
        let pages = try await database.read { db in
            try Int.fetchAll(db, sql: "SELECT pageno FROM dbstat WHERE name = 'trades' AND pagetype = 'leaf' ORDER BY path")
        }
        try database.close()
        try #require(pages.count > 8)
        let handle = try #require(FileHandle(forUpdatingAtPath: store))
        for page in pages.prefix(2) {
            try handle.seek(toOffset: UInt64((page - 1) * 4_096))
            try handle.write(contentsOf: Data((0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ page) }))
        }
        try handle.close()
        let tesla = try await runStockpipe(["query", "trades", "--symbol", "TSLA", "--limit", "5", "--data-dir", data])
        try #require(tesla.status == 0, "TSLA's pages must be whole for this test: \(tesla.stderr)")
        // Early AAPL trades land on the damaged pages, late TSLA ones on whole pages.
        let second = try directory.write("second.ndjson", lines: [
            tradeMessage((0..<5).map { at("AAPL", base + Int64($0) * 3) } + (0..<5).map { at("TSLA", base + 5_000 + Int64($0)) }),
        ])
        let again = try await runStockpipe(["run", "--source", "replay", "--file", second, "--drain", "--no-dashboard",
                                            "--no-scheduler", "--data-dir", data], timeout: .seconds(120))
        #expect(again.status != 0, "\(again.stdout)")
        #expect(again.stderr.contains("store.sqlite is damaged"), "\(again.stderr)")
        let rejected = try await runStockpipe(["quarantine", "list", "--reason", "store_rejected", "--json", "--data-dir", data])
        #expect(rejected.status == 0, "\(rejected.stderr)")
        #expect((try parseJSON(rejected.stdout) as? [Any])?.isEmpty == true, "\(rejected.stdout)")
    }
}

/// Text from outside never reaches the log raw.
@Suite("Log safety", .timeLimit(.minutes(3)))
struct LogSafetyTests {
    @Test func aFeedErrorCannotForgeALogLineOrDriveTheTerminal() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: [
            #"{"type":"error","msg":"quota\n2026-12-04T00:00:00+0000 critical stockpipe: all data lost \u001b[31mred\u0007"}"#,
            tradeMessage([trade("AAPL")]),
        ])
        let run = try await runStockpipe(["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
                                          "--data-dir", directory.file("data")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the feed reported an error"))
        #expect(!run.stderr.contains("\u{1B}"), "no escape sequence reaches the terminal")
        #expect(!run.stderr.contains("\u{07}"))
        #expect(!run.stderr.split(separator: "\n").contains { $0.hasPrefix("2026-12-04T00:00:00+0000 critical") },
                "the feed's text stays inside its own line")
        #expect(run.stderr.contains(#"\n2026-12-04T00:00:00+0000 critical"#))
    }
}
