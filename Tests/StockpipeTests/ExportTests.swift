import AsyncHTTPClient
import Foundation
import StockpipeCore
import StockpipeExport
import StockpipeSQLite
import Testing

/// `stockpipe export` and the API's CSV and NDJSON answers: every row of any range, page by page.
@Suite("Export", .timeLimit(.minutes(4)))
struct ExportTests {
    static let comparer = DeploymentTests.root + "/Tests/StockpipeTests/Fixtures/compare_export.py"

    /// Two and a half days of simulated trades with defects, exported and read back with pandas as a
    /// notebook would, then compared with the SQLite store read directly (not through stockpipe),
    /// hourly candles included, which pandas makes itself from the stored trades.
    @Test(TestTool.python.condition)
    func aMultiDayExportReadsBackInPandasAsTheStoreHoldsIt() async throws {
        let python = try TestTool.python.require()
        let directory = try TemporaryDirectory()
        let file = directory.file("days.ndjson")
        let data = directory.file("data")
        let simulate = try await runStockpipe([
            "simulate", "--out", file, "--count", "20000", "--rate", "0.1", "--bad-fraction", "0.03", "--seed", "21",
        ])
        try #require(simulate.status == 0, "\(simulate.stderr)")
        let run = try await runStockpipe(["run", "--file", file, "--drain", "--no-dashboard", "--data-dir", data])
        try #require(run.status == 0, "\(run.stderr)")

        var outputs: [String] = []
        for (name, arguments) in [
            ("trades.csv", ["trades"]), ("trades.ndjson", ["trades", "--format", "ndjson"]),
            ("candles-1h.csv", ["candles", "--interval", "1h"]), ("quarantine.csv", ["quarantine"]),
        ] {
            let path = directory.file(name)
            let export = try await runStockpipe(["export"] + arguments + ["--out", path, "--data-dir", data])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stderr.contains("stockpipe: exported ") && export.stderr.contains(" to \(path)"), "\(export.stderr)")
            #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
            outputs.append(path)
        }
        let compared = try await runProgram(python, [Self.comparer, data + "/store.sqlite"] + outputs)
        #expect(compared.status == 0, "\(compared.stdout)\(compared.stderr)")
        let summary = try #require(try parseJSON(compared.stdout) as? [String: Any], "\(compared.stdout)\(compared.stderr)")
        #expect((summary["days"] as? Double ?? 0) > 2, "\(summary)")
        #expect((summary["trades"] as? Int ?? 0) > 15_000, "\(summary)")
        #expect((summary["quarantined"] as? Int ?? 0) > 300, "\(summary)")

        // The same on standard output, with nothing else there.
        let piped = try await runStockpipe(["export", "trades", "--symbol", "AAPL,MSFT", "--limit", "3", "--data-dir", data])
        #expect(piped.status == 0)
        let lines = piped.stdout.split(separator: "\r\n")
        #expect(lines.count == 4, "\(piped.stdout)")
        #expect(lines.first == "time,timestamp,symbol,price,volume,conditions,id")
        #expect(lines.dropFirst().allSatisfy { $0.contains(",AAPL,") }, "AAPL first, then MSFT: \(piped.stdout)")
    }

    /// Pages end in the middle of a millisecond's trades and of the quarantine's records of one
    /// time; every row comes out once.
    @Test func pagesEndingInsideOneMillisecondLoseAndDoubleNothing() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("store.sqlite"))
        let start: Int64 = 1_733_000_000_000
        var trades: [IncomingTrade] = []
        for index in 0..<120 {
            // 50 trades in one millisecond, then 70 over the next minutes.
            let time = start + (index < 50 ? 0 : Int64(index) * 1_000)
            let trade = Trade(
                symbol: "AAPL", price: 187 + Double(index) / 100, volume: 1, timestamp: time, conditions: [],
                id: TradeID(symbol: "AAPL", price: 187 + Double(index) / 100, volume: 1, timestamp: time, conditions: [], occurrence: 0))
            trades.append(IncomingTrade(trade: trade, origin: Origin(topic: "stock_data", partition: 0, offset: Int64(index), source: "t:\(index)")))
        }
        let quarantine = (0..<25).map { index in
            QuarantineRecord(
                reasons: [.priceJump], payload: Array("{\"n\":\(index)}".utf8),
                origin: Origin(topic: "staging", partition: 0, offset: Int64(index), source: "q:\(index)"),
                quarantinedAt: start + Int64(index / 10))
        }
        _ = try await store.write(StoreBatch(trades: trades, quarantine: quarantine))

        var exporter = Exporter(store: store)
        (exporter.pageSize, exporter.quarantinePageSize, exporter.chunkSize) = (7, 3, 100)
        func export(_ query: ExportQuery) async throws -> [String] {
            var bytes: [UInt8] = []
            let rows = try await exporter.export(query, as: .ndjson) { bytes += $0 }
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(lines.count == rows)
            return lines
        }
        let exported = try await export(ExportQuery(kind: .trades))
        #expect(exported.count == 120)
        #expect(Set(exported).count == 120)
        let prices = try exported.map { try #require((try parseJSON($0) as? [String: Any])?["price"] as? Double) }
        #expect(Set(prices) == Set(trades.map(\.trade.price)))

        let records = try await export(ExportQuery(kind: .quarantine))
        #expect(records.count == 25 && Set(records).count == 25)
        let times = try records.map { try #require((try parseJSON($0) as? [String: Any])?["quarantinedAt"] as? Int) }
        #expect(times == times.sorted(by: >), "newest first")

        var window = ExportQuery(kind: .quarantine)
        (window.from, window.to) = (start + 1, start + 1)
        #expect(try await export(window).count == 10, "only the records of one millisecond")
        var limited = ExportQuery(kind: .trades)
        limited.limit = 9
        #expect(try await export(limited).count == 9)
        try await store.close()
    }

    /// The JSON answer stops at 10,000 rows; CSV and NDJSON stream every row of the range.
    @Test(TestTool.python.condition)
    func theAPIStreamsCSVAndNDJSONPastTenThousandRows() async throws {
        let start: Int64 = 1_733_000_000_000
        try await withServedDashboard(
            { _ in },
            prepare: { store in
                for batch in 0..<5 {
                    let trades = (0..<5_000).map { index in
                        let time = start + Int64(batch * 5_000 + index) * 10
                        let trade = Trade(
                            symbol: "AAPL", price: 187, volume: 1, timestamp: time, conditions: [],
                            id: TradeID(symbol: "AAPL", price: 187, volume: 1, timestamp: time, conditions: [], occurrence: 0))
                        return IncomingTrade(
                            trade: trade, origin: Origin(topic: "stock_data", partition: 0, offset: 0, source: "t:\(batch):\(index)"))
                    }
                    _ = try await store.write(StoreBatch(trades: trades))
                }
                let records = (0..<12_000).map { index in
                    QuarantineRecord(
                        reasons: [.malformed], payload: Array("x,\"\(index)\"\n".utf8),
                        origin: Origin(topic: "staging", partition: 0, offset: Int64(index), source: "q:\(index)"),
                        quarantinedAt: start + Int64(index / 1_000))
                }
                _ = try await store.write(StoreBatch(quarantine: records))
            }
        ) { port, _ in
            func get(_ path: String, accept: String? = nil) async throws -> (status: UInt, type: String?, body: String) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                if let accept { request.headers.add(name: "Accept", value: accept) }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                return (
                    response.status.code, response.headers.first(name: "Content-Type"),
                    String(buffer: try await response.body.collect(upTo: 64 << 20))
                )
            }
            let csv = try await get("/api/v1/trades?symbol=AAPL&from=0&format=csv")
            #expect(csv.status == 200 && csv.type == "text/csv; charset=utf-8")
            #expect(csv.body.split(separator: "\r\n").count == 25_001)
            let json = try await get("/api/v1/trades?symbol=AAPL&from=0&limit=10000")
            #expect((try parseJSON(json.body) as? [Any])?.count == 10_000)
            let ndjson = try await get("/api/v1/trades?symbol=AAPL&from=\(start + 100_000)&to=\(start + 199_990)", accept: "application/x-ndjson")
            #expect(ndjson.type == "application/x-ndjson")
            #expect(ndjson.body.split(separator: "\n").count == 10_000)
            let quarantine = try await get("/api/v1/quarantine", accept: "text/csv")
            // Payloads with commas, quotes and line breaks are quoted: count records, not lines.
            #expect(quarantine.body.components(separatedBy: "\"\n\"\r\n").count == 12_001, "\(quarantine.body.prefix(300))")
            let limited = try await get("/api/v1/quarantine?format=ndjson&limit=5")
            #expect(limited.body.split(separator: "\n").count == 5)
            let candles = try await get("/api/v1/candles?symbol=AAPL&interval=1h&from=0&format=csv")
            let rows = candles.body.split(separator: "\r\n")
            #expect(rows.count == 2, "one hourly candle: \(candles.body)")
            #expect(rows.last?.hasSuffix(",25000,false") == true, "\(candles.body)")
            // The README's one-liner.
            let url = "http://127.0.0.1:\(port)/api/v1/trades?symbol=AAPL&from=\(start)&format=csv"
            let pandas = try await runProgram(
                try TestTool.python.require(),
                ["-c", "import pandas as pd, sys; t = pd.read_csv(sys.argv[1], parse_dates=['time']); print(len(t), t['time'].dt.tz)", url])
            #expect(pandas.stdout == "25000 UTC\n", "\(pandas.stdout)\(pandas.stderr)")
            #expect(try await get("/api/v1/trades?symbol=AAPL&format=xml").status == 400)
            let backwards = try await get("/api/v1/trades?symbol=AAPL&format=csv&from=2&to=1")
            #expect(backwards.status == 200 && backwards.body.split(separator: "\r\n").count == 1, "a header and nothing, as JSON gives []")
            #expect(try await get("/api/v1/quotes?symbol=AAPL&format=csv&limit=10001").status == 400)
            let window = try await get("/api/v1/quarantine?from=\(start + 3)&to=\(start + 4)&limit=10000")
            #expect((try parseJSON(window.body) as? [Any])?.count == 2_000, "JSON takes from and to too")
            #expect(try await get("/api/v1/quarantine?format=csv&limit=0").status == 400)
        }
    }

    /// Exact to the millisecond: through `Date`, 1796472721123 came out as `.122Z`.
    @Test func isoTimesAreExactToTheMillisecond() {
        #expect(CSVText.isoTime(1_796_472_721_123) == "2026-12-05T12:12:01.123Z")
        #expect(CSVText.isoTime(0) == "1970-01-01T00:00:00.000Z")
        #expect(CSVText.isoTime(-1) == "1969-12-31T23:59:59.999Z")
        #expect(CSVText.isoTime(951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(CSVText.isoTime(TimeText.latest) == "9999-12-31T23:59:59.999Z")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -2_000_000_000...250_000_000_000, using: &generator)
            let milliseconds = seconds * 1_000 + Int64.random(in: 0...999, using: &generator)
            let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
            let expected = whole.dropLast() + "." + String(format: "%03d", Int(milliseconds - seconds * 1_000)) + "Z"
            #expect(CSVText.isoTime(milliseconds) == String(expected), "\(milliseconds)")
        }
    }

    @Test func mistakesAreOneLineAndLeaveNoFile() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let cases: [([String], String)] = [
            (["export", "nonsense"], "export what? 'nonsense' is not one of trades, candles, quotes, quarantine"),
            (["export", "trades", "--format", "xlsx"], "--format must be csv or ndjson, not 'xlsx'"),
            (["export", "quarantine", "--symbol", "AAPL"], "the quarantine is not kept by symbol"),
            (["export", "trades", "--interval", "1h"], "--interval is for candles only"),
            (["export", "candles", "--interval", "2m"], "--interval must be one of 1m, 5m, 15m, 1h, 1d, not '2m'"),
            (["export", "trades", "--from", "2024-12-02", "--to", "2024-12-01"], "--from is after --to"),
            (["export", "quarantine", "--reason", "ugly"], "--reason must be a reason code"),
            (["export", "trades", "--out", directory.file("missing/dir/t.csv")], "cannot write"),
        ]
        for (arguments, message) in cases {
            let result = try await runStockpipe(arguments + ["--data-dir", data])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("stockpipe: error: ") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("missing")))

        // A directory (or a device) given to --out is refused, not replaced by the export.
        let folder = directory.file("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = try directory.write("folder/kept.txt", lines: ["kept"])
        let onto = try await runStockpipe(["export", "trades", "--out", folder, "--data-dir", data])
        #expect(onto.status == 2 && onto.stderr.contains("is not a regular file"), "\(onto.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/kept.txt"))
    }
}
