import Foundation
import GRDB
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import StockpipeSQLite
import StockpipeSources
import Testing

/// Trades at the edges of what numbers can be: none may stop the pipeline, each is stored or
/// quarantined with a reason, and the counts reconcile.
@Suite("Extreme values, end to end", .timeLimit(.minutes(5)))
struct ExtremeValueEndToEndTests {
    let now: Int64 = 1_732_480_000_000

    /// The store is the second line: trades that validation would refuse, written by hand, fold into
    /// candles without a trap. Before, Int128 overflowed on the first of them and every restart.
    @Test func theStoreHoldsSumsBeyondInt128() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        let trades =
            (0..<20).map { index in
                let trade = Trade(
                    symbol: "AAPL", price: 1e10, volume: 1e9, timestamp: now + Int64(index),
                    conditions: [], id: TradeID(high: 1, low: UInt64(index)))
                return IncomingTrade(trade: trade, origin: Origin(topic: "t", partition: 0, offset: Int64(index), source: "s/\(index)"))
            } + [
                IncomingTrade(
                    trade: Trade(
                        symbol: "AAPL", price: 1.79e308, volume: 1e30, timestamp: now + 30, conditions: [],
                        id: TradeID(high: 2, low: 0)),
                    origin: Origin(topic: "t", partition: 0, offset: 99, source: "s/99"))
            ]
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
        let extremes =
            [
                trade("AAPL", price: "1e12", volume: "1e9"), trade("AAPL", price: "1.79e308"), trade("AAPL", volume: "1e30"),
            ] + (0..<20).map { trade("MSFT", price: "1e10", volume: "1e9", offsetMilliseconds: Int64($0)) }
        let file = try directory.write(
            "f.ndjson",
            lines: [
                tradeMessage([trade("AAPL", price: "187.5")]),
                tradeMessage(extremes),
                tradeMessage([trade("AAPL", price: "187.6", offsetMilliseconds: 5)]),
            ])
        let data = directory.file("data")
        let run = try await runStockpipe(
            [
                "run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
                "--data-dir", data,
            ], timeout: .seconds(120))
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
@Suite("Stream time, end to end", .timeLimit(.minutes(8)))
struct StreamTimeEndToEndTests {
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
        let simulate = try await runStockpipe([
            "simulate", "--out", file, "--count", "60000", "--seed", "7", "--rate", "0.2",
            "--bad-fraction", "0.05", "--json",
        ])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let injected = try #require(try parseJSON(simulate.stdout) as? [String: Any])
        let counts = try #require(injected["injected"] as? [String: Int])
        #expect((counts["timestamp_in_future"] ?? 0) > 100)
        let data = directory.file("data")
        let run = try await runStockpipe(
            [
                "run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
                "--symbols", Simulator.defaultSymbols.joined(separator: ","), "--data-dir", data,
            ],
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
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_evil BEFORE INSERT ON trades WHEN NEW.symbol = 'EVIL'
                    BEGIN SELECT RAISE(ABORT, 'EVIL is not welcome here'); END
                    """)
        }
        try queue.close()
        let trades = (0..<50).map {
            trade(
                $0 == 17 || $0 == 33 ? "EVIL" : "MSFT", price: "\(400 + Double($0) / 100)",
                offsetMilliseconds: Int64($0))
        }
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
        let file = try directory.write(
            "first.ndjson",
            lines: stride(from: 0, to: first.count, by: 100).map {
                tradeMessage(Array(first[$0..<min($0 + 100, first.count)]))
            })
        let run = try await runStockpipe([
            "run", "--source", "replay", "--file", file, "--drain", "--no-dashboard", "--no-scheduler",
            "--data-dir", data,
        ])
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
        let second = try directory.write(
            "second.ndjson",
            lines: [
                tradeMessage((0..<5).map { at("AAPL", base + Int64($0) * 3) } + (0..<5).map { at("TSLA", base + 5_000 + Int64($0)) })
            ])
        let again = try await runStockpipe(
            [
                "run", "--source", "replay", "--file", second, "--drain", "--no-dashboard",
                "--no-scheduler", "--data-dir", data,
            ], timeout: .seconds(120))
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
        let file = try directory.write(
            "f.ndjson",
            lines: [
                #"{"type":"error","msg":"quota\n2026-12-04T00:00:00+0000 critical stockpipe: all data lost \u001b[31mred\u0007"}"#,
                tradeMessage([trade("AAPL")]),
            ])
        let run = try await runStockpipe([
            "run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
            "--data-dir", directory.file("data"),
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the feed reported an error"))
        #expect(!run.stderr.contains("\u{1B}"), "no escape sequence reaches the terminal")
        #expect(!run.stderr.contains("\u{07}"))
        #expect(
            !run.stderr.split(separator: "\n").contains { $0.hasPrefix("2026-12-04T00:00:00+0000 critical") },
            "the feed's text stays inside its own line")
        #expect(run.stderr.contains(#"\n2026-12-04T00:00:00+0000 critical"#))
    }
}
