import Foundation
import StockpipeCQL
import StockpipeCassandra
import StockpipeCore
import StockpipeExport
import StockpipeKafka
import StockpipeSQLite
import Testing

/// The Cassandra store against a real Cassandra 1.2.0, compared call for call with the embedded
/// store: both implement the same interface, so the same calls must give the same answers.
@Suite("Cassandra store", TestTool.cassandra.condition, .serialized, .timeLimit(.minutes(4)))
struct CassandraStoreTests {
    static func configuration(_ server: Cassandra12, keyspace: String = "stock_data") -> CassandraConfiguration {
        var configuration = CassandraConfiguration(contactPoints: [("127.0.0.1", server.port)])
        configuration.keyspace = keyspace
        configuration.replication = .simple(1)
        // LOCAL_QUORUM needs NetworkTopologyStrategy on 1.2; one node answers ONE.
        configuration.consistency = .one
        return configuration
    }

    /// 2024-11-24 23:59:00 UTC: the trades cross midnight, so two day partitions per symbol.
    static let start: Int64 = 1_732_492_740_000

    func incoming(
        _ symbol: String, price: Double, volume: Double, at offset: Int64, conditions: [String] = [],
        occurrence: Int = 0, source: String, redriven: Bool = false, readAt: LogPosition? = nil
    ) -> IncomingTrade {
        let time = Self.start + offset
        let id = TradeID(symbol: symbol, price: price, volume: volume, timestamp: time, conditions: conditions, occurrence: occurrence)
        return IncomingTrade(
            trade: Trade(symbol: symbol, price: price, volume: volume, timestamp: time, conditions: conditions, id: id),
            origin: Origin(topic: "stock_data", partition: 0, offset: 0, source: source), redriven: redriven, position: readAt)
    }

    /// Where the load stage read the `offset`th record of `stock_data`.
    static func tradeReadAt(_ offset: Int64) -> LogPosition {
        LogPosition(topic: "stock_data", partition: 0, offset: offset, appendedAt: start + offset)
    }

    func quarantined(_ source: String, _ reasons: [ReasonCode], at offset: Int64) -> QuarantineRecord {
        QuarantineRecord(
            reasons: reasons, payload: Array("{\"bad\":\"\(source)\"}".utf8),
            origin: Origin(topic: "staging", partition: 0, offset: 7, source: source), quarantinedAt: Self.start + offset)
    }

    /// Where the load stage read the `offset`th record of `bad_stock_data`.
    static func readAt(_ offset: Int64) -> LogPosition {
        LogPosition(topic: "bad_stock_data", partition: 0, offset: offset, appendedAt: start + offset)
    }

    /// Trades of three symbols over two days, some with conditions, two identical ones of one
    /// message, and quotes with and without a change.
    func firstBatch() -> StoreBatch {
        var trades: [IncomingTrade] = []
        for index in 0..<600 {
            let symbol = ["AAPL", "BINANCE:BTCUSDT", "OANDA:EUR_USD"][index % 3]
            trades.append(
                incoming(
                    symbol, price: 100 + Double(index % 37) / 4, volume: symbol.hasPrefix("OANDA") ? 0 : Double(index % 11 + 1),
                    at: Int64(index) * 400, conditions: index % 5 == 0 ? ["1", "12"] : [], source: "replay:f:@\(index)#0",
                    readAt: Self.tradeReadAt(Int64(index))))
        }
        // Read from the log, as the load stage reads them: the quality counts know by offset
        // which they have counted when a crash makes the store see them again.
        trades.append(incoming("AAPL", price: 150, volume: 1, at: 1_000, occurrence: 0, source: "replay:f:@900#0", readAt: Self.tradeReadAt(600)))
        trades.append(incoming("AAPL", price: 150, volume: 1, at: 1_000, occurrence: 1, source: "replay:f:@900#1", readAt: Self.tradeReadAt(601)))
        var batch = StoreBatch(
            trades: trades,
            quarantine: [
                quarantined("replay:f:@1000#0", [.malformed], at: 5),
                quarantined("replay:f:@1001#0", [.nonFinite, .negativeVolume], at: 70_000),
            ])
        batch.quarantinePositions = [Self.readAt(0), Self.readAt(1)]
        batch.quotes = [
            Quote(
                symbol: "AAPL", current: 187.5, change: 1.5, percentChange: 0.8, high: 188, low: 186, open: 186.5, previousClose: 186,
                timestamp: 1_732_492_700, receivedAt: Self.start + 10),
            Quote(
                symbol: "AAPL", current: 187.7, change: nil, percentChange: nil, high: 188, low: 186, open: 186.5, previousClose: 186,
                timestamp: 1_732_492_760, receivedAt: Self.start + 90_000),
        ]
        return batch
    }

    /// Every read of the interface, from both stores; records quarantined by the store itself
    /// (duplicates) carry the time they were found, which differs between the two.
    func expectSameAnswers(_ cassandra: any Store, _ embedded: any Store, _ context: String) async throws {
        for symbol in ["AAPL", "BINANCE:BTCUSDT", "OANDA:EUR_USD", "MSFT"] {
            #expect(
                try await cassandra.trades(symbol: symbol, from: nil, to: nil, limit: 10_000)
                    == embedded.trades(symbol: symbol, from: nil, to: nil, limit: 10_000), "\(context): all trades of \(symbol)")
            #expect(
                try await cassandra.trades(symbol: symbol, from: nil, to: nil, limit: 7)
                    == embedded.trades(symbol: symbol, from: nil, to: nil, limit: 7), "\(context): latest trades of \(symbol)")
            #expect(
                try await cassandra.trades(symbol: symbol, from: Self.start + 50_000, to: Self.start + 100_000, limit: 30)
                    == embedded.trades(symbol: symbol, from: Self.start + 50_000, to: Self.start + 100_000, limit: 30),
                "\(context): trades of \(symbol) across midnight")
            #expect(
                try await cassandra.candles(symbol: symbol, from: nil, to: nil) == embedded.candles(symbol: symbol, from: nil, to: nil),
                "\(context): candles of \(symbol)")
            #expect(
                try await cassandra.candles(symbol: symbol, from: Self.start + 60_000, to: Self.start + 120_000)
                    == embedded.candles(symbol: symbol, from: Self.start + 60_000, to: Self.start + 120_000), "\(context): some candles")
            #expect(
                try await cassandra.quotes(symbol: symbol, from: nil, to: nil, limit: 1)
                    == embedded.quotes(symbol: symbol, from: nil, to: nil, limit: 1), "\(context): latest quote of \(symbol)")
            #expect(
                try await cassandra.quotes(symbol: symbol, from: 0, to: nil, limit: 100)
                    == embedded.quotes(symbol: symbol, from: 0, to: nil, limit: 100), "\(context): quotes of \(symbol)")
        }
        #expect(try await cassandra.candles(symbol: "AAPL", from: 5, to: 4).isEmpty)
        func comparable(_ records: [QuarantineRecord]) -> [String] {
            records.map {
                "\($0.reasons) \(String(decoding: $0.payload, as: UTF8.self)) \($0.origin.json) "
                    + ($0.reasons == [.duplicate] ? "" : "\($0.quarantinedAt)")
            }
        }
        #expect(
            comparable(try await cassandra.quarantine(reason: nil, limit: 100))
                == comparable(try await embedded.quarantine(reason: nil, limit: 100)), "\(context): quarantine")
        #expect(
            comparable(try await cassandra.quarantine(reason: .negativeVolume, limit: 100))
                == comparable(try await embedded.quarantine(reason: .negativeVolume, limit: 100)), "\(context): quarantine by reason")
        #expect(try await cassandra.counts() == embedded.counts(), "\(context): counts")
        #expect(
            try await cassandra.symbolSummaries(window: 3_600_000, sparkline: 60)
                == embedded.symbolSummaries(window: 3_600_000, sparkline: 60), "\(context): symbol summaries")
        #expect(
            try await cassandra.qualityHistory(from: 0, bucket: 86_400_000)
                == embedded.qualityHistory(from: 0, bucket: 86_400_000), "\(context): quality history")
    }

    @Test func theSameCallsGiveTheSameAnswersAsTheEmbeddedStore() async throws {
        let server = try await Cassandra12.start()
        let configuration = Self.configuration(server)
        let created = try await CassandraSchema.create(configuration)
        #expect(created.count == 12 && created.allSatisfy(\.created))
        let again = try await CassandraSchema.create(configuration)
        #expect(again.map(\.object) == created.map(\.object) && again.allSatisfy { !$0.created }, "schema create is idempotent")

        let directory = try TemporaryDirectory()
        let embedded = try SQLiteStore(path: directory.file("store.sqlite"))
        let cassandra = try await CassandraStore.open(configuration)
        func both(_ batch: StoreBatch, _ step: String) async throws {
            let expected = try await embedded.write(batch)
            #expect(try await cassandra.write(batch) == expected, "\(step): write result")
        }
        try await both(firstBatch(), "first delivery")
        try await expectSameAnswers(cassandra, embedded, "after the first delivery")
        try await both(firstBatch().preparedForInsert(), "redelivery")

        // The same trade from another source is a duplicate; a record quarantined again at
        // another time moves; a re-driven trade leaves the quarantine once stored.
        var next = StoreBatch(
            trades: [
                incoming("AAPL", price: 100, volume: 1, at: 0, source: "replay:g:@0#0"),
                incoming("MSFT", price: 410, volume: 3, at: 30_000, source: "replay:f:@1000#0", redriven: true),
            ], quarantine: [quarantined("replay:f:@1001#0", [.nonFinite, .negativeVolume], at: 80_000)])
        next.quarantinePositions = [Self.readAt(2)]
        next.quotes = [firstBatch().quotes[1]]
        try await both(next, "a duplicate, a move and a re-drive")

        let backfill = [
            Candle(
                symbol: "AAPL", interval: 60_000, start: Self.start + 60_000, open: 1, high: 1, low: 1, close: 1,
                volumeUnits: 5, notionalUnits: 0, trades: 0, backfilled: true),
            Candle(
                symbol: "TSLA", interval: 60_000, start: Self.start - 600_000, open: 250, high: 251, low: 249, close: 250.5,
                volumeUnits: FixedPoint.units(900), notionalUnits: 0, trades: 0, backfilled: true),
        ]
        #expect(try await cassandra.backfill(backfill) == embedded.backfill(backfill))
        #expect(try await cassandra.backfill(backfill) == embedded.backfill(backfill), "backfilled again: replaced")
        // A trade in a backfilled minute takes it over.
        try await both(StoreBatch(trades: [incoming("TSLA", price: 251, volume: 2, at: -590_000, source: "replay:h:@0#0")]), "over a backfill")
        try await expectSameAnswers(cassandra, embedded, "at the end")

        // The scheduler's history and reports read back the same from both.
        let runs = [
            JobRunEntry(
                job: "quality-report", scheduledAt: Self.start, startedAt: Self.start + 5, finishedAt: Self.start + 900,
                attempts: 1, outcome: .succeeded, detail: "12 symbols: ok", trigger: .schedule),
            JobRunEntry(
                job: "redrive", scheduledAt: Self.start, startedAt: Self.start + 7, finishedAt: Self.start + 20_000,
                attempts: 2, outcome: .succeeded, detail: "re-drove 3", trigger: .manual, state: "5d2c298f"),
            JobRunEntry(
                job: "quality-report", scheduledAt: Self.start + 60_000, startedAt: Self.start + 60_000,
                finishedAt: Self.start + 60_000, attempts: 0, outcome: .skipped, detail: "the previous run was still going",
                trigger: .schedule),
        ]
        for run in runs {
            try await embedded.recordJobRun(run)
            try await cassandra.recordJobRun(run)
        }
        for job in ["quality-report", "redrive", "retention"] {
            #expect(try await cassandra.jobRuns(job: job, limit: 10) == embedded.jobRuns(job: job, limit: 10), "history of \(job)")
        }
        #expect(try await cassandra.jobRuns(job: "quality-report", limit: 10).map(\.outcome) == [.skipped, .succeeded])
        #expect(try await cassandra.jobRuns(job: "quality-report", limit: 1).count == 1)
        for (offset, json) in [(Int64(0), #"{"ok":true}"#), (60_000, #"{"ok":false}"#)] {
            try await embedded.saveQualityReport(json, generatedAt: Self.start + offset)
            try await cassandra.saveQualityReport(json, generatedAt: Self.start + offset)
        }
        #expect(try await cassandra.latestQualityReport() == embedded.latestQualityReport())
        #expect(try await cassandra.latestQualityReport()?.json == #"{"ok":false}"#)
        #expect(try await cassandra.expire(before: Self.start + 86_400_000).expiresByItself, "Cassandra rows expire by their TTLs")

        try await cassandra.close()
        try await embedded.close()
        await server.stop()
    }

    /// The export pages through either store alike: the same bytes for trades, candles, quotes and
    /// a quarantine whose pages end inside one millisecond's records.
    @Test func exportsReadTheSameRowsFromBothStores() async throws {
        let server = try await Cassandra12.start()
        let configuration = Self.configuration(server, keyspace: "exports")
        _ = try await CassandraSchema.create(configuration)
        let directory = try TemporaryDirectory()
        let embedded = try SQLiteStore(path: directory.file("store.sqlite"))
        let cassandra = try await CassandraStore.open(configuration)
        var batch = firstBatch()
        // 250 records over three milliseconds, across midnight: pages of 7 end inside each.
        batch.quarantine = (0..<250).map { quarantined("replay:q:@\($0)#0", [.priceJump], at: Int64($0 / 100) * 30_000 + 40_000) }
        batch.quarantinePositions = [Self.readAt(0)]
        _ = try await embedded.write(batch)
        _ = try await cassandra.write(batch)

        #expect(try await cassandra.symbols() == embedded.symbols())
        #expect(try await embedded.symbols() == ["AAPL", "BINANCE:BTCUSDT", "OANDA:EUR_USD"])
        for symbol in try await embedded.symbols() + ["NONE"] {
            #expect(try await cassandra.candleSpan(symbol: symbol) == embedded.candleSpan(symbol: symbol), "\(symbol)")
        }
        func export(_ store: any Store, _ query: ExportQuery) async throws -> String {
            var exporter = Exporter(store: store)
            (exporter.pageSize, exporter.quarantinePageSize) = (13, 7)
            var bytes: [UInt8] = []
            _ = try await exporter.export(query, as: .csv) { bytes += $0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        var hourly = ExportQuery(kind: .candles)
        hourly.interval = 3_600_000
        var jumps = ExportQuery(kind: .quarantine)
        jumps.reason = .priceJump
        for query in [ExportQuery(kind: .trades), ExportQuery(kind: .candles), hourly, ExportQuery(kind: .quotes), jumps] {
            let expected = try await export(embedded, query)
            #expect(try await export(cassandra, query) == expected, "\(query.kind) \(query.interval)")
            #expect(expected.split(separator: "\r\n").count > 2, "\(query.kind): something to compare")
        }
        let quarantine = try await export(cassandra, jumps).split(separator: "\r\n")
        #expect(quarantine.count == 251 && Set(quarantine).count == 251)
        try await cassandra.close()
        try await embedded.close()
        await server.stop()
    }

    /// A crash may stop a write anywhere after the trades went in: the candles and counts are then
    /// short. Delivering the batch again must complete them, not count the trades twice.
    @Test func aBatchCutShortByACrashIsCompletedWhenDeliveredAgain() async throws {
        let server = try await Cassandra12.start()
        let configuration = Self.configuration(server)
        _ = try await CassandraSchema.create(configuration)
        let directory = try TemporaryDirectory()
        let embedded = try SQLiteStore(path: directory.file("store.sqlite"))
        let cassandra = try await CassandraStore.open(configuration)
        let batch = firstBatch()
        _ = try await embedded.write(batch)

        let client = try CQLClient(CQLClient.Configuration(contactPoints: [("127.0.0.1", server.port)]))
        func run(_ cql: String) async throws { _ = try await client.query(cql, idempotent: true) }
        // Everything but the trades is lost...
        _ = try await cassandra.write(batch)
        for table in ["candles_1m", "symbol_days"] { try await run("TRUNCATE stock_data.\(table)") }
        #expect(try await cassandra.counts().trades == 0)
        var result = try await cassandra.write(batch)
        #expect(result.inserted == 0 && result.redelivered == batch.trades.count)
        try await expectSameAnswers(cassandra, embedded, "after candles and counts were lost")

        // ...or only some trades made it, and candles were written for a batch before them.
        let rows = try await client.select("SELECT symbol, day, ts, id FROM stock_data.trades LIMIT 100000", [])
        for row in rows.cells.prefix(250) {
            _ = try await client.execute(
                "DELETE FROM stock_data.trades WHERE symbol = ? AND day = ? AND ts = ? AND id = ?",
                [.text(row.text(0)), .text(row.text(1)), .timestamp(try row.int64(2)), .blob(row.blob(3))],
                idempotent: true)
        }
        for table in ["candles_1m", "symbol_days"] { try await run("TRUNCATE stock_data.\(table)") }
        result = try await cassandra.write(batch)
        #expect(result.inserted == 250 && result.redelivered == batch.trades.count - 250)
        try await expectSameAnswers(cassandra, embedded, "after a partly written batch")

        // The quarantine's counts go in before its rows: a crash between them loses the rows,
        // which a redelivery writes without counting the records again.
        for table in ["quarantine", "quarantine_sources"] { try await run("TRUNCATE stock_data.\(table)") }
        _ = try await cassandra.write(batch)
        try await expectSameAnswers(cassandra, embedded, "after the quarantine's rows were lost")

        await client.close()
        try await cassandra.close()
        try await embedded.close()
        await server.stop()
    }

    /// Before the quarantine's counts were kept per shard they were one table, `quarantine_days`.
    @Test func aStoreMadeBeforeTheCountsWereShardedKeepsThem() async throws {
        let server = try await Cassandra12.start()
        let client = try CQLClient(CQLClient.Configuration(contactPoints: [("127.0.0.1", server.port)]))
        _ = try await client.query(
            "CREATE KEYSPACE stock_data WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            idempotent: true)
        _ = try await client.query(
            "CREATE TABLE stock_data.quarantine_days (day text, reason text, records bigint, PRIMARY KEY (day, reason))",
            idempotent: true)
        for (day, reason, records) in [
            ("2024-11-24", "*", 5), ("2024-11-24", "malformed", 5), ("2024-11-25", "*", 2),
            ("2024-11-25", "price_jump", 2),
        ] {
            _ = try await client.execute(
                "UPDATE stock_data.quarantine_days SET records = ? WHERE day = ? AND reason = ?",
                [.bigint(Int64(records)), .text(day), .text(reason)], idempotent: true)
        }
        await client.close()
        let configuration = Self.configuration(server)
        _ = try await CassandraSchema.create(configuration)
        let store = try await CassandraStore.open(configuration)
        var batch = StoreBatch(quarantine: [quarantined("replay:f:@1#0", [.malformed], at: 0)])
        batch.quarantinePositions = [Self.readAt(0)]
        _ = try await store.write(batch)
        let counts = try await store.counts()
        #expect(counts.quarantined == 8)
        #expect(counts.quarantineByReason == [.malformed: 6, .priceJump: 2])
        _ = try await CassandraSchema.create(configuration)
        #expect(try await store.counts().quarantined == 8, "carried over once, when the table is made")
        try await store.close()
        await server.stop()
    }

    @Test func openingWithoutASchemaSaysHowToCreateIt() async throws {
        let server = try await Cassandra12.start()
        await #expect(throws: CassandraStoreError.noSchema(keyspace: "stock_data", table: "trades")) {
            _ = try await CassandraStore.open(Self.configuration(server))
        }
        await server.stop()
    }
}

/// TLS in front of Cassandra 1.2, which can encrypt client connections only with a JKS keystore:
/// socat terminates TLS with a certificate made by openssl, so both ends are independent of ours.
@Suite("Cassandra over TLS", TestTool.cassandra.condition, TestTool.socat.condition, .serialized, .timeLimit(.minutes(3)))
struct CassandraTLSTests {
    func run(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try KafkaMockCluster.startingProcess { try process.run() }
        #expect(await process.exited() == 0, "\(arguments.first ?? "")")
    }

    @Test func theStoreWorksThroughTLSAndRefusesAnUntrustedCertificate() async throws {
        let server = try await Cassandra12.start()
        let directory = try TemporaryDirectory()
        let (certificate, key) = (directory.file("server.pem"), directory.file("server.key"))
        try await run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ])
        let port = try freeConsecutivePorts(1)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proxy.arguments = [
            "socat", "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(certificate),key=\(key),verify=0",
            "TCP:127.0.0.1:\(server.port)",
        ]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try KafkaMockCluster.startingProcess { try proxy.run() }
        // socat outlives SIGTERM here; SIGKILL ends it and the connections it forked.
        defer { kill(proxy.processIdentifier, SIGKILL) }
        try await waitUntilListening(port: port)

        // By name and by address, trusting the certificate given in the settings.
        let config = try directory.write(
            "tls.yaml",
            lines: [
                "contact-points: localhost:\(port)", "cassandra:", "  replication: SimpleStrategy:1", "  consistency: one",
                "  tls: true", "  ca-certificate: \(certificate)",
            ])
        let created = try await runStockpipe(["schema", "create", "--config", config, "--data-dir", directory.path])
        #expect(created.status == 0 && created.stdout.contains("table stock_data.trades: created"), "\(created.stderr)")
        var configuration = CassandraConfiguration(contactPoints: [("127.0.0.1", port)])
        configuration.consistency = .one
        configuration.tls = try CassandraConfiguration.tls(caCertificate: certificate)
        let store = try await CassandraStore.open(configuration)
        let trade = Trade(
            symbol: "AAPL", price: 187.5, volume: 10, timestamp: 1_732_480_000_000, conditions: ["1"],
            id: TradeID(symbol: "AAPL", price: 187.5, volume: 10, timestamp: 1_732_480_000_000, conditions: ["1"], occurrence: 0))
        let incoming = IncomingTrade(trade: trade, origin: Origin(topic: "stock_data", partition: 0, offset: 0, source: "tls:@0#0"))
        #expect(try await store.write(StoreBatch(trades: [incoming])).inserted == 1)
        #expect(try await store.trades(symbol: "AAPL", from: nil, to: nil, limit: 10) == [trade])
        try await store.close()

        // The system's roots do not know this certificate: the connection is refused, clearly.
        let untrusted = try await runStockpipe(
            ["status", "--contact-points", "localhost:\(port)", "--data-dir", directory.path],
            environment: ["STOCKPIPE_CASSANDRA_TLS": "true"])
        #expect(
            untrusted.status == 2 && untrusted.stderr.contains("not trusted") && untrusted.stderr.contains("cassandra.ca-certificate"),
            "\(untrusted.stderr)")
        await server.stop()
    }
}
