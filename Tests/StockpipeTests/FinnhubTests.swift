import Foundation
import Logging
import StockpipeApp
import StockpipeCore
import StockpipeFinnhubServer
import StockpipeKafka
import StockpipePipeline
import StockpipeSources
import Testing

/// The real Finnhub clients against the Finnhub-compatible server, over loopback.
@Suite("Finnhub sources", .serialized, .timeLimit(.minutes(4)))
struct FinnhubTests {
    static let token = "t0ken-SECRET-4242"

    /// Starts a server in this process; returns it once it listens.
    func startServer(_ adjust: (inout FinnhubServerConfiguration) -> Void = { _ in }) async throws -> (FinnhubServer, Task<Void, any Error>) {
        var configuration = FinnhubServerConfiguration()
        configuration.port = 0
        configuration.token = Self.token
        adjust(&configuration)
        let server = FinnhubServer(configuration)
        var quiet = Logger(label: "test.finnhub-server")
        quiet.logLevel = .critical
        let task = Task { try await server.run(logger: quiet) }
        for _ in 0..<200 where server.port == nil { try await Task.sleep(for: .milliseconds(25)) }
        _ = try #require(server.port)
        return (server, task)
    }

    /// `wss` goes to `localhost`: TLS names a server by host name (an IP address is no valid SNI).
    func settings(_ server: FinnhubServer, dataDirectory: String, limit: Int, scheme: String = "ws") -> Settings {
        var settings = Settings()
        settings.source = .finnhub
        settings.sourceChosen = true
        settings.finnhub.token = .init(Self.token)
        settings.finnhub.webSocketURL = "\(scheme)://\(scheme == "wss" ? "localhost" : "127.0.0.1"):\(server.port ?? 0)"
        settings.finnhub.restURL = scheme == "wss" ? "https://localhost:\(server.port ?? 0)/api/v1" : "http://127.0.0.1:\(server.port ?? 0)/api/v1"
        settings.limit = limit
        settings.dataDirectory = dataDirectory
        settings.dashboard = false
        return settings
    }

    @Test func droppedStreamsAreResubscribedAndNothingIsStoredTwice() async throws {
        let (server, task) = try await startServer { $0.faults.dropEvery = 25 }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let report = try await drain(settings(server, dataDirectory: directory.path, limit: 1_500))
        let stats = server.stats
        #expect(stats.connections >= 3, "the server dropped the stream every 25 messages")
        // Every connection subscribed every symbol again.
        #expect(stats.subscriptions == stats.connections * Simulator.defaultSymbols.count)
        #expect(report.staged >= 1_500)
        #expect(report.balanced, "\(report.json())")
        #expect(report.store.trades + report.store.quotes + report.store.quarantined == report.staged)
        #expect(report.store.quarantineByReason[.duplicate] == nil, "trades were stored twice or flagged as such")
    }

    @Test func malformedFramesAndTheSymbolLimitAreReportedNotFatal() async throws {
        let (server, task) = try await startServer {
            $0.faults.malformedEvery = 10
            $0.faults.maxSymbols = 5
        }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let report = try await drain(settings(server, dataDirectory: directory.path, limit: 300))
        #expect((report.store.quarantineByReason[.malformed] ?? 0) > 0)
        let counters = try #require(report.sources.first { $0.name == "finnhub:ws" }?.counters)
        #expect(counters.errors >= 1, "the server's symbol-limit error was not seen")
        #expect(report.balanced, "\(report.json())")
    }

    @Test func theTokenAppearsInNoOutput() async throws {
        let (server, task) = try await startServer {
            $0.faults.dropEvery = 20
            $0.faults.malformedEvery = 7
        }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let port = server.port ?? 0
        let environment = [
            "FINNHUB_TOKEN": Self.token, "STOCKPIPE_LOG_LEVEL": "trace",
            "STOCKPIPE_FINNHUB_WS_URL": "ws://127.0.0.1:\(port)",
            "STOCKPIPE_FINNHUB_REST_URL": "http://127.0.0.1:\(port)/api/v1",
        ]
        let run = try await runStockpipe(
            ["run", "--limit", "400", "--drain", "--no-dashboard", "--data-dir", directory.path],
            environment: environment, timeout: .seconds(90))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("source: Finnhub"))
        let status = try await runStockpipe(["status", "--data-dir", directory.path], environment: environment)
        let statusJSON = try await runStockpipe(["status", "--json", "--data-dir", directory.path], environment: environment)
        // A refused key: the error must not repeat it either.
        let refused = try await runStockpipe(
            [
                "run", "--limit", "10", "--drain", "--no-dashboard", "--data-dir", directory.file("refused"),
                "--max-age", "7d",
            ],
            environment: environment.merging(["FINNHUB_TOKEN": Self.token + "-wrong"]) { $1 },
            timeout: .seconds(4))
        let outputs = [run.stdout, run.stderr, status.stdout, status.stderr, statusJSON.stdout, refused.stdout, refused.stderr]
        #expect(run.stderr.contains("connected to the Finnhub trade stream"))
        #expect(refused.stderr.contains("Finnhub refused"), "\(refused.stderr)")
        for output in outputs { #expect(!output.contains(Self.token), "the token leaked: \(output.prefix(2_000))") }
    }

    @Test func tooManySymbolsAreRefusedUpFront() async throws {
        let symbols = (1...51).map { "S\($0)" }.joined(separator: ",")
        let result = try await runStockpipe(
            ["run", "--symbols", symbols, "--no-dashboard", "--data-dir", try TemporaryDirectory().path],
            environment: ["FINNHUB_TOKEN": Self.token], timeout: .seconds(30))
        #expect(result.status == 2)
        #expect(result.stderr.contains("at most 50"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.token))
    }

    @Test func theStreamWorksOverTLS() async throws {
        let directory = try TemporaryDirectory()
        let (certificate, key) = (directory.file("cert.pem"), directory.file("key.pem"))
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try KafkaMockCluster.startingProcess { try openssl.run() }
        await openssl.exited()
        try #require(openssl.terminationStatus == 0)
        let (server, task) = try await startServer {
            $0.tls = (certificate, key)
            $0.faults.dropEvery = 10
        }
        defer { task.cancel() }
        var settings = settings(server, dataDirectory: directory.file("data"), limit: 500, scheme: "wss")
        settings.finnhub.caCertificate = certificate
        let report = try await drain(settings)
        #expect(report.staged >= 500)
        #expect(server.stats.connections >= 2)
        #expect(report.balanced, "\(report.json())")
    }

    func quoteSettings(_ server: FinnhubServer, _ directory: TemporaryDirectory, symbols: [String]) -> Settings {
        var settings = settings(server, dataDirectory: directory.path, limit: 20)
        settings.symbols = symbols
        return settings
    }

    @Test func quotesAreStoredAndAllZeroQuotesQuarantinedAsNoData() async throws {
        let (server, task) = try await startServer { $0.faults.textEvery = 4 }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let report = try await drain(quoteSettings(server, directory, symbols: ["AAPL", "MSFT", "ZZZZ", "NVDA", "BINANCE:BTCUSDT"]))
        // Five polls: the fourth answered with plain text, ZZZZ with zeros.
        #expect(report.store.quotes == 3)
        #expect(report.store.quarantineByReason[.noData] == 1)
        #expect(report.store.quarantineByReason[.malformed] == 1)
        #expect(report.balanced, "\(report.json())")
        let quotes = try await runStockpipe(["query", "quotes", "--symbol", "AAPL", "--json", "--data-dir", directory.path])
        let list = try #require(try parseJSON(quotes.stdout) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(
            Set(list[0].keys) == [
                "symbol", "current", "change", "percentChange", "high", "low", "open", "previousClose",
                "timestamp", "receivedAt",
            ])
    }

    /// An answer that echoes the request carries the key: it is staged and quarantined with the
    /// key replaced by `***`, so it reaches neither the log nor the store (before, it reached both).
    @Test func anAnswerEchoingTheKeyIsStoredWithoutIt() async throws {
        let (server, task) = try await startServer { $0.faults.echoEvery = 2 }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let report = try await drain(quoteSettings(server, directory, symbols: ["AAPL", "MSFT", "NVDA", "AMZN"]))
        #expect(report.store.quotes == 2)
        #expect(report.store.quarantined == 2)
        #expect(report.balanced, "\(report.json())")
        let listed = try await runStockpipe(["quarantine", "list", "--json", "--data-dir", directory.path])
        #expect(listed.stdout.contains("with key ***"), "\(listed.stdout)")
        #expect(!listed.stdout.contains(Self.token))
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.contains(".sqlite") {
            let contents = try Data(contentsOf: URL(fileURLWithPath: directory.file(file)))
            #expect(contents.range(of: Data(Self.token.utf8)) == nil, "the key is in \(file)")
        }
    }

    @Test func aRateLimitStormLosesNothingAndTheLimiterAvoidsIt() async throws {
        let symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "GOOGL", "BRK.B"]
        // The client allows far more than the server: 429s come, are waited out as told, and every
        // quote arrives. One call a second, so that even calls slowed by a busy machine (a full
        // run's start once spread them past three a second) meet the limit.
        let (server, task) = try await startServer { $0.faults.callsPerSecond = 1 }
        defer { task.cancel() }
        let stormDirectory = try TemporaryDirectory()
        let storm = try await drain(quoteSettings(server, stormDirectory, symbols: symbols))
        #expect(server.stats.rateLimited > 0, "the server never limited: no storm to weather")
        #expect(storm.store.quotes == Int64(symbols.count))
        #expect(storm.balanced, "\(storm.json())")

        // The client's own limit under the server's: no 429 at all.
        let (calm, calmTask) = try await startServer { $0.faults.callsPerSecond = 3 }
        defer { calmTask.cancel() }
        let calmDirectory = try TemporaryDirectory()
        var settings = quoteSettings(calm, calmDirectory, symbols: symbols)
        settings.finnhub.callsPerSecond = 2
        let report = try await drain(settings)
        #expect(calm.stats.rateLimited == 0)
        #expect(calm.stats.restCalls == symbols.count)
        #expect(report.store.quotes == Int64(symbols.count))
    }

    @Test func aRefusedKeyStopsWithOneClearLine() async throws {
        let (server, task) = try await startServer()
        defer { task.cancel() }
        let port = server.port ?? 0
        let result = try await runStockpipe(
            [
                "run", "--symbols", "AAPL", "--limit", "10", "--drain", "--no-dashboard",
                "--data-dir", try TemporaryDirectory().path,
            ],
            environment: [
                "FINNHUB_TOKEN": "not-the-key-77", "STOCKPIPE_FINNHUB_WS_URL": "ws://127.0.0.1:\(port)",
                "STOCKPIPE_FINNHUB_REST_URL": "http://127.0.0.1:\(port)/api/v1",
            ],
            timeout: .seconds(30))
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("Finnhub refused the quote request (HTTP 401): check FINNHUB_TOKEN"), "\(result.stderr)")
        #expect(!result.stderr.contains("not-the-key-77"))
    }

    @Test func aSilentStreamIsTakenForDeadAndReplaced() async throws {
        let (server, task) = try await startServer { $0.faults.stallAfter = 5 }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        var settings = settings(server, dataDirectory: directory.path, limit: 300)
        settings.finnhub.stallTimeout = 1_000
        let report = try await drain(settings)
        // The server never closes a connection here: only the client's stall watchdog can have replaced it.
        #expect(server.stats.connections >= 2, "a silent connection was kept")
        #expect(report.staged >= 300)
        #expect(report.balanced, "\(report.json())")
    }

    func environment(_ server: FinnhubServer) -> [String: String] {
        ["FINNHUB_TOKEN": Self.token, "STOCKPIPE_FINNHUB_REST_URL": "http://127.0.0.1:\(server.port ?? 0)/api/v1"]
    }

    @Test func backfilledCandlesFillOnlyMinutesWithoutTrades() async throws {
        let (server, task) = try await startServer { $0.faults.badCandleEvery = 40 }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let now = WallClock.milliseconds()
        // The server spoils the candles of minutes that are multiples of 40: starting one minute
        // past such a multiple puts them at offsets 39, 79 and 119, away from the traded minute.
        // (Aligned to the minute only, the traded minute was a spoilt one in one run of 40.)
        let from = (now - 3 * 3_600_000) / 2_400_000 * 2_400_000 + 60_000
        let to = from + 119 * 60_000
        let range = ["--symbols", "AAPL", "--from", String(from), "--to", String(to), "--data-dir", directory.path]
        let first = try await runStockpipe(["backfill"] + range, environment: environment(server), timeout: .seconds(60))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("AAPL: 117 candles from Finnhub; 117 new"), "\(first.stdout)")
        #expect(first.stdout.contains("not stored: 3 quote_inconsistent"), "every 40th candle contradicts itself: \(first.stdout)")

        // Two trades inside a backfilled minute: the candle built from them takes that minute over.
        let minute = from + 30 * 60_000
        let replay = directory.file("trades.ndjson")
        try #"{"type":"trade","data":[{"s":"AAPL","p":190.5,"t":\#(minute + 5_000),"v":10},{"s":"AAPL","p":190.75,"t":\#(minute + 9_000),"v":30}]}"#
            .write(toFile: replay, atomically: true, encoding: .utf8)
        let run = try await runStockpipe(
            ["run", "--source", "replay", "--file", replay, "--drain", "--no-dashboard", "--data-dir", directory.path],
            timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        let again = try await runStockpipe(["backfill"] + range, environment: environment(server), timeout: .seconds(60))
        #expect(again.stdout.contains("0 new, 116 refreshed, 1 minutes kept as built from trades"), "\(again.stdout)")

        let query = try await runStockpipe([
            "query", "candles", "--symbol", "AAPL", "--from", String(from), "--to", String(to), "--json",
            "--data-dir", directory.path,
        ])
        let candles = try #require(try parseJSON(query.stdout) as? [[String: Any]])
        #expect(candles.count == 117)
        let traded = try #require(candles.first { ($0["start"] as? Int64) == minute })
        #expect(traded["trades"] as? Int == 2)
        #expect(traded["backfilled"] == nil, "a candle built from trades has exactly the documented fields")
        #expect(traded["volume"] as? Double == 40)
        #expect(traded["open"] as? Double == 190.5)
        #expect(traded["vwap"] as? Double != nil)
        let others = candles.filter { ($0["start"] as? Int64) != minute }
        #expect(others.allSatisfy { $0["backfilled"] as? Bool == true && $0["vwap"] is NSNull && $0["trades"] as? Int == 0 })
        #expect(others.allSatisfy { (($0["low"] as? Double) ?? 1) <= (($0["high"] as? Double) ?? 0) })
        let status = try await runStockpipe(["status", "--json", "--data-dir", directory.path])
        let store = try #require((try parseJSON(status.stdout) as? [String: Any])?["store"] as? [String: Any])
        #expect(store["backfilledCandles"] as? Int == 116)
        for output in [first.stdout, first.stderr, again.stdout, again.stderr] { #expect(!output.contains(Self.token)) }
    }

    @Test func aPlanWithoutCandlesGetsOneClearLine() async throws {
        let (server, task) = try await startServer { $0.faults.candlesForbidden = true }
        defer { task.cancel() }
        let result = try await runStockpipe(
            ["backfill", "--symbols", "AAPL", "--data-dir", try TemporaryDirectory().path],
            environment: environment(server), timeout: .seconds(60))
        #expect(result.status == 2)
        #expect(result.stderr.contains("Finnhub refused the candle request (HTTP 403): stock candles are a premium endpoint"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.token))
        let noToken = try await runStockpipe(["backfill", "--symbols", "AAPL", "--data-dir", try TemporaryDirectory().path])
        #expect(noToken.status == 2)
        #expect(noToken.stderr.contains("needs a token"), "\(noToken.stderr)")
    }

    /// `--text-every 0` used to crash the server on its first REST call (a remainder by zero).
    @Test func theDevServerRefusesFaultIntervalsBelowOne() async throws {
        for flag in ["--text-every", "--echo-every", "--drop-every", "--malformed-every", "--bad-candle-every", "--stall-after"] {
            let result = try await runStockpipe(["dev", "finnhub-server", "--port", "0", flag, "0"], timeout: .seconds(10))
            #expect(result.status == 2, "\(flag): \(result.stderr)")
            #expect(result.stderr.contains("\(flag) must be at least 1"), "\(result.stderr)")
        }
    }

    /// A failed first call of a round used to push the whole round back by the poll interval.
    @Test func aFailedFirstQuoteCallIsRetriedWithinTheRound() async throws {
        let (server, task) = try await startServer { $0.faults.unavailableFirst = 1 }
        defer { task.cancel() }
        let directory = try TemporaryDirectory()
        let environment = environment(server).merging([
            "STOCKPIPE_FINNHUB_WS_URL": "ws://127.0.0.1:\(server.port ?? 0)", "STOCKPIPE_FINNHUB_QUOTE_INTERVAL": "1h",
        ]) { $1 }
        let run = try await runStockpipe(
            [
                "run", "--symbols", "AAPL,MSFT", "--limit", "20", "--drain", "--no-dashboard",
                "--data-dir", directory.path,
            ], environment: environment, timeout: .seconds(45))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("HTTP 503; retrying in"), "\(run.stderr)")
        for symbol in ["AAPL", "MSFT"] {
            let quotes = try await runStockpipe(["query", "quotes", "--symbol", symbol, "--json", "--data-dir", directory.path])
            #expect((try parseJSON(quotes.stdout) as? [Any])?.count == 1, "\(symbol): \(quotes.stdout)")
        }
    }
}
