import StockpipeDashboard
import StockpipePipeline
import StockpipeCassandra
import StockpipeCQL
import StockpipeFinnhub
import StockpipeKafka
import StockpipeCore
import StockpipeSchedule
import StockpipeSources

/// Everything a stockpipe process can be told, after defaults, the configuration file, the
/// environment and the command line have been applied, in that order (later wins).
public struct Settings: Sendable {
    public enum SourceKind: String, Sendable, CaseIterable {
        case simulator, replay, finnhub
    }

    public enum LogKind: String, Sendable, CaseIterable {
        case embedded, kafka
    }

    public enum StoreKind: String, Sendable, CaseIterable {
        case embedded, cassandra
    }

    public var dataDirectory = "./stockpipe-data"
    /// Where the topics live: the embedded SQLite log in the data directory, or Kafka.
    public var log: LogKind = .embedded
    /// Kafka bootstrap servers, `host:port,...`.
    public var brokers: String?
    /// librdkafka properties passed through (`kafka:` in the file, `--kafka-property` on the command line).
    public var kafkaProperties: [String: String] = [:]
    /// Where trades, candles, quotes and the quarantine are kept: SQLite in the data directory, or Cassandra.
    public var store: StoreKind = .embedded
    /// Cassandra nodes, `host:port,...` (port 9042 if left out).
    public var contactPoints: String?
    public var cassandraKeyspace = "stock_data"
    /// `SimpleStrategy:3` or `NetworkTopologyStrategy:dc1=3,dc2=3`; used by `schema create`.
    public var cassandraReplication = "SimpleStrategy:3"
    public var cassandraConsistency = "local_quorum"
    /// How long rows live, in milliseconds; nil keeps them.
    public var cassandraTTL: Int64?
    public var cassandraQuarantineTTL: Int64?
    public var cassandraUsername: String?
    /// `STOCKPIPE_CASSANDRA_PASSWORD`, or `cassandra.password` in the file.
    public var cassandraPassword: String?
    public var cassandraTLS = false
    public var cassandraCACertificate: String?
    public var source: SourceKind = .simulator
    public var file: String?
    /// The symbols to simulate or subscribe to, and the allow-list of validation, whatever the
    /// source; `["*"]` allows any. Nil when none were configured: then each source has its own
    /// (see ``allowedSymbols(beside:)``).
    public var symbols: [String]?
    /// Simulator trades per second.
    public var rate: Double = 1_000
    /// Stop the source after this many records.
    public var limit: Int?
    public var seed: UInt64 = 1
    /// Share of simulated records that carry a defect.
    public var badFraction: Double = 0.01
    /// Where the dashboard listens; beyond loopback it needs `dashboardToken`.
    public var host = "127.0.0.1"
    public var port = 8080
    /// The bearer token the dashboard and API require (`STOCKPIPE_DASHBOARD_TOKEN`).
    public var dashboardToken: String?
    public var dashboard = true
    public var validation = ValidationRules()
    /// Per topic, in milliseconds.
    public var retention: [String: Int64] = [
        Topic.staging: 3 * 86_400_000, Topic.stockData: 3 * 86_400_000, Topic.badStockData: 30 * 86_400_000,
    ]
    /// The Finnhub API key: `FINNHUB_TOKEN`, `finnhub.token-file`, or (discouraged) `finnhub.token`.
    public var finnhubToken: FinnhubToken?
    public var finnhubWebSocketURL = "wss://ws.finnhub.io"
    public var finnhubRestURL = "https://finnhub.io/api/v1"
    public var finnhubMaxSymbols = 50
    public var finnhubStallTimeout: Int64 = 30_000
    /// How often each symbol's REST quote is polled (0: not at all), and the plan's call limits.
    public var finnhubQuoteInterval: Int64 = 60_000
    public var finnhubCallsPerMinute = 60
    public var finnhubCallsPerSecond = 30
    /// A PEM certificate to trust for a local server with a self-signed one.
    public var finnhubCACertificate: String?
    /// Set when the source was chosen (by key, flag or `--file`); otherwise a token picks Finnhub.
    public var sourceChosen = false
    /// Records a stage takes from the log at a time.
    public var batchSize = 8_192
    /// Trades, candles and quotes older than this (ms) are removed by the retention job; 0 keeps them.
    public var storeRetention: Int64 = 0
    /// Whether `stockpipe run` runs the scheduler beside the stages.
    public var scheduler = true
    /// Each built-in job's schedule (`jobs.NAME.*`).
    public var jobs: [BuiltInJob: JobSettings] = Dictionary(uniqueKeysWithValues: BuiltInJob.allCases.map { ($0, JobSettings.defaults($0)) })
    public var quality = QualitySettings()

    public init() {}

    public var allowsAnySymbol: Bool { symbols == ["*"] }

    /// What the simulator simulates: the configured symbols, or its twelve (also for `*`).
    public var simulatedSymbols: [String] {
        guard let symbols, !allowsAnySymbol else { return Simulator.defaultSymbols }
        return symbols
    }

    /// What the Finnhub source subscribes to: the configured symbols, or by default the same
    /// twelve symbols the simulator simulates (all of them Finnhub symbols). It needs a list: `*` is refused.
    public var subscribedSymbols: [String] { symbols ?? Simulator.defaultSymbols }

    /// The allow-list of validation running beside `source` (the source ingest reads in the same
    /// process; nil for a validate stage in a process of its own); nil allows any well-formed symbol.
    /// Configured `symbols` apply whatever the source (`*`: any). Without them: the simulator's
    /// symbols for the simulator, the subscription for Finnhub, and any symbol for a replay (a
    /// recording holds whatever was recorded) or with no source in the process.
    public func allowedSymbols(beside source: SourceKind?) -> Set<String>? {
        if let symbols { return allowsAnySymbol ? nil : Set(symbols) }
        switch source {
        case .simulator: return Set(simulatedSymbols)
        case .finnhub: return Set(subscribedSymbols)
        case .replay, nil: return nil
        }
    }

    /// The rules with the allow-list filled in (see ``allowedSymbols(beside:)``).
    public func effectiveValidation(beside source: SourceKind?) -> ValidationRules {
        var rules = validation
        rules.allowedSymbols = allowedSymbols(beside: source)
        return rules
    }

    /// Checks what cannot be checked one setting at a time.
    public func validate() throws {
        if source == .replay, file == nil {
            throw UserError("--source replay needs --file F (an NDJSON file of Finnhub messages)")
        }
        if source == .finnhub {
            guard finnhubToken != nil else {
                throw UserError("--source finnhub needs a Finnhub API key: set FINNHUB_TOKEN, or finnhub.token-file in the configuration")
            }
            guard !allowsAnySymbol else { throw UserError("--source finnhub needs the symbols to subscribe to (--symbols A,B), not *") }
            if subscribedSymbols.count > finnhubMaxSymbols {
                throw UserError("\(subscribedSymbols.count) symbols, but one Finnhub connection carries at most \(finnhubMaxSymbols) on this plan; "
                                + "give fewer with --symbols, or raise finnhub.max-symbols if your plan allows more")
            }
        }
        if log == .kafka, brokers?.isEmpty ?? true {
            throw UserError("--log kafka needs --brokers host:port,... (the Kafka bootstrap servers)")
        }
        if store == .cassandra { _ = try cassandraConfiguration }
        if symbols?.isEmpty == true { throw UserError("symbols is empty; give at least one symbol, or * to allow any") }
        if rate <= 0 { throw UserError("rate must be above 0 trades per second") }
        if !(0...1).contains(badFraction) { throw UserError("bad-fraction must be between 0 and 1") }
        if !(0...65535).contains(port) { throw UserError("port must be between 0 (any free port) and 65535") }
        if batchSize < 1 || batchSize > 100_000 { throw UserError("batch-size must be between 1 and 100000") }
        if storeRetention > 0 && storeRetention < validation.maxAge {
            // A trade older than the store keeps, but young enough to pass validation, would be stored again.
            throw UserError("retention.store must be 0 (keep everything) or at least validation.max-age "
                            + "(\(validation.maxAge / 86_400_000)d), so that an expired trade is never accepted again")
        }
        for (job, schedule) in jobs {
            _ = try schedule.parsedSchedule(job: job.rawValue)
            _ = try schedule.parsedCalendar(job: job.rawValue)
            if schedule.attempts < 1 { throw UserError("jobs.\(job.rawValue).attempts must be at least 1") }
            if schedule.timeout < 1_000 { throw UserError("jobs.\(job.rawValue).timeout must be at least 1s") }
        }
        if ExchangeCalendar.named(quality.calendar) == nil {
            throw UserError("quality.calendar must be nyse or always, not '\(quality.calendar)'")
        }
        let symbolRegex: Regex<AnyRegexOutput>
        do {
            symbolRegex = try Regex(validation.symbolPattern)
        } catch {
            throw UserError("validation symbol-pattern is not a valid regular expression: \(validation.symbolPattern)")
        }
        // Checked here, after every setting is applied: the pattern may come later than the symbols.
        // A symbol the pattern refuses would only ever be quarantined as `invalid_symbol`.
        if let symbols, !allowsAnySymbol {
            for symbol in symbols where (try? symbolRegex.wholeMatch(in: symbol)) == nil {
                let shown = String(reflecting: String(symbol.prefix(40)))
                if symbol == "*" {
                    throw UserError("symbols: * allows any symbol and must be given alone, not beside other symbols")
                }
                let rule = validation.symbolPattern == ValidationRules.defaultSymbolPattern
                    ? "upper-case letters, digits and . _ - / = ^, with an optional EXCHANGE: prefix, like AAPL, BRK.B or BINANCE:BTCUSDT"
                    : "validation.symbol-pattern \(validation.symbolPattern)"
                throw UserError("symbols: \(shown) does not match the symbol pattern (\(rule)); trades of it would all be invalid_symbol")
            }
        }
    }
}

extension Settings {
    /// The librdkafka properties: the brokers, then whatever was passed through.
    public var kafkaConfiguration: KafkaConfiguration {
        var properties = kafkaProperties
        properties["bootstrap.servers"] = brokers ?? ""
        return KafkaConfiguration(properties)
    }

    /// Without an explicit source, Finnhub when a token is set, else the simulator.
    public mutating func chooseSource() {
        if !sourceChosen && finnhubToken != nil { source = .finnhub }
    }

    public var finnhubConfiguration: FinnhubConfiguration? {
        guard let finnhubToken else { return nil }
        var configuration = FinnhubConfiguration(token: finnhubToken, symbols: subscribedSymbols)
        configuration.webSocketURL = finnhubWebSocketURL
        configuration.restURL = finnhubRestURL
        configuration.maxSymbols = finnhubMaxSymbols
        configuration.stallTimeout = .milliseconds(finnhubStallTimeout)
        configuration.trustedCertificate = finnhubCACertificate
        return configuration
    }

    /// The name the configured source checkpoints under (see ``FeedSource/name``).
    public var sourceName: String {
        switch source {
        case .replay: "replay:\(file ?? "")"
        case .simulator: "simulator:seed=\(seed)"
        case .finnhub: "finnhub:ws"
        }
    }
}

extension Settings {
    /// The Cassandra store's settings, checked: each mistake is named with how to fix it.
    public var cassandraConfiguration: CassandraConfiguration {
        get throws {
            guard let contactPoints, !contactPoints.isEmpty else {
                throw UserError("--store cassandra needs --contact-points host:port,... (Cassandra nodes, port 9042 if left out)")
            }
            var configuration: CassandraConfiguration
            do {
                configuration = CassandraConfiguration(contactPoints: try CQLClient.Configuration.parse(contactPoints))
            } catch {
                throw UserError("--contact-points: \(error)")
            }
            guard CassandraConfiguration.isValidKeyspace(cassandraKeyspace) else {
                throw UserError("cassandra.keyspace must be a letter then letters, digits or _ (48 at most), not '\(cassandraKeyspace)'")
            }
            configuration.keyspace = cassandraKeyspace
            guard let replication = CassandraConfiguration.Replication(cassandraReplication) else {
                throw UserError("cassandra.replication must be SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M, not '\(cassandraReplication)'")
            }
            configuration.replication = replication
            guard let consistency = CassandraConfiguration.consistency(named: cassandraConsistency) else {
                throw UserError("cassandra.consistency must be one of one, two, three, quorum, all, local_quorum, each_quorum, local_one, any; "
                                + "not '\(cassandraConsistency)'")
            }
            configuration.consistency = consistency
            // Cassandra refuses TTLs over 20 years.
            let longest: Int64 = 630_720_000
            for (name, ttl) in [("cassandra.ttl", cassandraTTL), ("cassandra.quarantine-ttl", cassandraQuarantineTTL)] {
                if let ttl, ttl / 1_000 > longest || ttl < 1_000 {
                    throw UserError("\(name) must be between 1s and 7300d (Cassandra's longest), or 0 to keep rows")
                }
            }
            configuration.ttl = cassandraTTL.map { Int($0 / 1_000) }
            configuration.quarantineTTL = cassandraQuarantineTTL.map { Int($0 / 1_000) }
            configuration.username = cassandraUsername
            configuration.password = cassandraPassword
            if cassandraTLS || cassandraCACertificate != nil {
                do {
                    configuration.tls = try CassandraConfiguration.tls(caCertificate: cassandraCACertificate)
                } catch {
                    throw UserError("cannot use cassandra.ca-certificate \(cassandraCACertificate ?? ""): \(error); give a PEM file")
                }
            }
            return configuration
        }
    }
}
