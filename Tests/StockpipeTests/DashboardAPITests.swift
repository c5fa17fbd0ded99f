import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import StockpipeApp
import StockpipeCore
import StockpipeDashboard
import StockpipePipeline
import StockpipeSources
import Testing

/// The JSON API through Hummingbird's test client, over a store filled by a real replay.
@Suite("Dashboard API", .serialized, .timeLimit(.minutes(5)))
struct DashboardAPITests {
    /// A simulated day-part of trades, 5 % defective, drained into a fresh data directory.
    static func filledDirectory() async throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let file = directory.file("feed.ndjson")
        let simulate = try await runStockpipe([
            "simulate", "--out", file, "--count", "20000", "--bad-fraction", "0.05", "--seed", "3",
            "--rate", "20",
        ])
        try #require(simulate.status == 0, "\(simulate.stderr)")
        try await drain(replaySettings(file: file, dataDirectory: directory.file("data"), symbols: Simulator.defaultSymbols))
        return directory
    }

    func withDashboard<T: Sendable>(
        _ directory: TemporaryDirectory, token: String? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        var settings = Settings()
        settings.dataDirectory = directory.file("data")
        let backends = try await Backends.open(settings, create: false)
        var configuration = DashboardConfiguration()
        configuration.token = token
        let dashboard = Dashboard(backends: backends.forDashboard, configuration: configuration, registry: PrometheusCollectorRegistry())
        let app = Application(router: dashboard.router())
        defer { Task { await backends.close() } }
        return try await app.test(.router, body)
    }

    func json(_ response: TestResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(buffer: response.body), options: [.fragmentsAllowed])
    }

    @Test func symbolsCandlesAndTradesAgreeWithTheStore() async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory) { client in
            let symbols = try await client.execute(uri: "/api/v1/symbols", method: .get) { try json($0) as? [[String: Any]] }
            let list = try #require(symbols)
            #expect(Set(list.compactMap { $0["symbol"] as? String }) == Set(Simulator.defaultSymbols))
            let aapl = try #require(list.first { $0["symbol"] as? String == "AAPL" })
            #expect((aapl["sparkline"] as? [Double])?.isEmpty == false)

            let minutes = try await client.execute(uri: "/api/v1/candles?symbol=AAPL&interval=1m", method: .get) { try json($0) as? [[String: Any]] }
            let oneMinute = try #require(minutes)
            #expect(!oneMinute.isEmpty)
            // Without a range: the day up to the symbol's last update, whose close is the symbols list's last price.
            #expect(oneMinute.last?["close"] as? Double == aapl["last"] as? Double)
            let from = try #require(oneMinute.first?["start"] as? Int64)
            let to = try #require(oneMinute.last?["start"] as? Int64)
            let hours = try await client.execute(uri: "/api/v1/candles?symbol=AAPL&interval=1h&from=\(from)&to=\(to)", method: .get) {
                try json($0) as? [[String: Any]]
            }
            let rolled = try #require(hours)
            func total(_ candles: [[String: Any]], _ key: String) -> Double { candles.reduce(0) { $0 + (($1[key] as? Double) ?? 0) } }
            #expect(total(rolled, "trades") == total(oneMinute, "trades"))
            #expect(abs(total(rolled, "volume") - total(oneMinute, "volume")) < 1e-6)
            #expect(rolled.allSatisfy { ($0["interval"] as? String) == "1h" && (($0["start"] as? Int64) ?? 1) % 3_600_000 == 0 })

            let trades = try await client.execute(uri: "/api/v1/trades?symbol=AAPL&limit=5", method: .get) { try json($0) as? [[String: Any]] }
            #expect(trades?.count == 5)
            #expect(Set(trades?.first?.keys.map { $0 } ?? []) == ["symbol", "price", "volume", "timestamp", "conditions"])
        }
    }

    @Test func quarantineAndStatusReconcile() async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory) { client in
            let status = try #require(try await client.execute(uri: "/api/v1/status", method: .get) { try json($0) as? [String: Any] })
            let reconciliation = try #require(status["reconciliation"] as? [String: Any])
            #expect(reconciliation["balanced"] as? Bool == true)
            #expect(status["pipeline"] is [String: Any])
            let byReason = try #require(status["quarantine"] as? [String: Int]).filter { $0.value > 0 }

            let counts = try #require(
                try await client.execute(uri: "/api/v1/quarantine/counts?bucket=1h", method: .get) {
                    try json($0) as? [String: Any]
                })
            #expect(counts["totals"] as? [String: Int] == byReason, "counts over time add up to the store's counts by reason")

            let jumps = try #require(
                try await client.execute(uri: "/api/v1/quarantine?reason=price_jump&limit=1000", method: .get) {
                    try json($0) as? [[String: Any]]
                })
            #expect(jumps.count == byReason["price_jump"])
            #expect(jumps.allSatisfy { ($0["reasons"] as? [String])?.contains("price_jump") == true })
        }
    }

    /// The quarantine as CSV, read back by Python's csv module: the same records as the JSON, in
    /// the same order, payloads with their commas, quotes and line breaks intact.
    @Test func theQuarantineDownloadsAsCSVThatPythonReadsBack() async throws {
        let directory = try await Self.filledDirectory()
        let file = directory.file("quarantine.csv")
        try await withDashboard(directory) { client in
            let records = try #require(
                try await client.execute(uri: "/api/v1/quarantine?limit=10000", method: .get) { try json($0) as? [[String: Any]] })
            #expect(!records.isEmpty)
            let csv = try await client.execute(uri: "/api/v1/quarantine?format=csv&limit=10000", method: .get) { response in
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition]?.contains("quarantine.csv") == true)
                return String(buffer: response.body)
            }
            let accepted = try await client.execute(uri: "/api/v1/quarantine?limit=10000", method: .get, headers: [.accept: "text/csv"]) {
                String(buffer: $0.body)
            }
            #expect(accepted == csv, "Accept: text/csv gives the same as format=csv")
            try csv.write(toFile: file, atomically: true, encoding: .utf8)
            let read = try await runProgram(
                "/usr/bin/python3",
                ["-c", "import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))))", file])
            let rows = try #require(try parseJSON(read.stdout) as? [[String: String]], "\(read.stderr)")
            #expect(rows.count == records.count)
            for (row, record) in zip(rows, records) {
                let origin = record["origin"] as? [String: Any] ?? [:]
                #expect(row["payload"] == record["payload"] as? String)
                #expect(row["reasons"] == (record["reasons"] as? [String])?.joined(separator: ";"))
                #expect(row["quarantined_at_ms"] == (record["quarantinedAt"] as? Int).map(String.init))
                #expect(row["offset"] == (origin["offset"] as? Int).map(String.init))
                #expect(row["source"] == origin["source"] as? String)
                #expect(row["quarantined_at"]?.hasSuffix("Z") == true)
            }
            try await client.execute(uri: "/api/v1/quarantine?format=xml", method: .get) { #expect($0.status == .badRequest) }
        }
    }

    @Test(arguments: [
        ("/api/v1/trades", "symbol is required"),
        ("/api/v1/trades?symbol=AAPL&limit=0", "limit must be"),
        ("/api/v1/candles?symbol=AAPL&interval=2m", "interval must be one of"),
        ("/api/v1/candles?symbol=AAPL&from=-9223372036854775808", "from must be"),
        ("/api/v1/candles?symbol=AAPL&from=2024-01-01", "from must be a time in Unix milliseconds"),
        ("/api/v1/trades?symbol=AAPL&to=", "to must be a time"),
        ("/api/v1/quarantine?reason=bogus", "reason must be one of"),
        ("/api/v1/quarantine/counts?bucket=7m", "bucket must be one of"),
        ("/api/v1/jobs?job=nightly", "job must be one of"),
    ])
    func badParametersAreRefusedInWords(uri: String, message: String) async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .badRequest)
                let error = (try json(response) as? [String: Any])?["error"] as? String
                #expect(error?.contains(message) == true, "\(error ?? "no error text")")
            }
        }
    }

    @Test func theQualityReportAndTheJobHistoryAreServedAsKeptInTheStore() async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory) { client in
            let none = try await client.execute(uri: "/api/v1/quality", method: .get) { try json($0) }
            #expect(none is NSNull, "no report yet")
        }
        let data = ["--data-dir", directory.file("data")]
        #expect(try await runStockpipe(["quality-report", "--max-quarantine-percent", "1"] + data).status == 3)
        #expect(try await runStockpipe(["jobs", "run", "redrive"] + data).status == 0)
        try await withDashboard(directory) { client in
            let report = try #require(try await client.execute(uri: "/api/v1/quality", method: .get) { try json($0) as? [String: Any] })
            #expect(report["ok"] as? Bool == false)
            #expect((report["breaches"] as? [String])?.first?.hasPrefix("quarantine rate") == true)
            #expect((report["symbols"] as? [Any])?.count == Simulator.defaultSymbols.count)
            let runs = try #require(try await client.execute(uri: "/api/v1/jobs?job=redrive", method: .get) { try json($0) as? [[String: Any]] })
            #expect(runs.count == 1 && runs[0]["outcome"] as? String == "succeeded" && runs[0]["trigger"] as? String == "manual")
            let status = try #require(try await client.execute(uri: "/api/v1/status", method: .get) { try json($0) as? [String: Any] })
            #expect((status["quality"] as? [String: Any])?["ok"] as? Bool == false)
            #expect((status["jobs"] as? [[String: Any]])?.map { $0["job"] as? String } == ["redrive"])
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("stockpipe_quality_ok 0"), "\(metrics.prefix(2_000))")
            #expect(metrics.contains("stockpipe_quality_breaches 1"))
        }
    }

    @Test func theOpenAPIDocumentDescribesEveryRoute() async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory) { client in
            let document = try #require(try await client.execute(uri: "/api/v1/openapi.json", method: .get) { try json($0) as? [String: Any] })
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = Set(((document["paths"] as? [String: Any]) ?? [:]).keys)
            #expect(
                paths == [
                    "/api/v1/symbols", "/api/v1/trades", "/api/v1/candles", "/api/v1/quotes", "/api/v1/quarantine",
                    "/api/v1/quarantine/counts", "/api/v1/status", "/api/v1/quality", "/api/v1/jobs", "/api/v1/stream",
                    "/api/v1/openapi.json", "/api/v1/schemas/{topic}", "/health", "/metrics",
                ])
            for path in paths where path != "/api/v1/stream" {
                let probe =
                    path.contains("trades") || path.contains("candles") || path.contains("quotes")
                    ? path + "?symbol=AAPL" : path.replacingOccurrences(of: "{topic}", with: "stock_data")
                try await client.execute(uri: probe, method: .get) { #expect($0.status == .ok, "\(probe)") }
            }
        }
    }

    @Test func onlyGetIsServed() async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory) { client in
            for method in [HTTPRequest.Method.post, .delete, .put] {
                try await client.execute(uri: "/api/v1/symbols", method: method) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow] == "GET")
                }
            }
        }
    }

    @Test func aTokenGuardsEverythingButHealth() async throws {
        let directory = try await Self.filledDirectory()
        try await withDashboard(directory, token: "s3cret-token") { client in
            try await client.execute(uri: "/api/v1/symbols", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/symbols", method: .get, headers: [.authorization: "Bearer wrong"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/symbols", method: .get, headers: [.authorization: "Bearer s3cret-token"]) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            let cookie = try await client.execute(uri: "/?token=s3cret-token", method: .get) { response -> String? in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/")
                return response.headers[.setCookie]
            }
            let pair = try #require(cookie?.split(separator: ";").first.map(String.init))
            try await client.execute(uri: "/", method: .get, headers: [.cookie: pair]) { #expect($0.status == .ok) }
        }
        var exposed = DashboardConfiguration()
        exposed.host = "0.0.0.0"
        #expect(throws: DashboardError.exposedWithoutToken(host: "0.0.0.0")) { try Dashboard.check(exposed) }
        exposed.token = "a-token-of-16-ch"
        try Dashboard.check(exposed)
    }
}
