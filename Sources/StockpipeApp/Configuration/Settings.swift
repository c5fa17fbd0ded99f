import StockpipeCore
import StockpipeFinnhub
import StockpipePipeline
import StockpipeSchedule
import StockpipeSources

/// Everything a stockpipe process can be told, after defaults, the configuration file, the
/// environment and the command line have been applied, in that order (later wins).
///
/// Each backend's and the Finnhub source's settings are a section of their own (`embedded`, `kafka`,
/// `cassandra`, `finnhub`; see ``SettingsSection``); the rest are general.
public struct Settings: Sendable {
    public enum SourceKind: String, Sendable, CaseIterable {
        case simulator, replay, finnhub
    }

    public var dataDirectory = "./stockpipe-data"
    /// Where the topics live: the embedded SQLite log in the data directory, or Kafka (see ``LogKind``).
    public var log: LogKind = .embedded
    /// Where trades, candles, quotes and the quarantine are kept: SQLite in the data directory, or Cassandra.
    public var store: StoreKind = .embedded
    /// The embedded log's and store's settings (`retention.<topic>`).
    public var embedded = EmbeddedSettings()
    /// The Kafka log's settings (`brokers`, `kafka.*`).
    public var kafka = KafkaSettings()
    /// The Cassandra store's settings (`contact-points`, `cassandra.*`).
    public var cassandra = CassandraSettings()
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
    /// Where a stage process serves its own `/metrics` and `/health`; nil serves nothing. Beyond
    /// loopback `metricsHost` needs `dashboardToken`, like the dashboard.
    public var metricsPort: Int?
    public var metricsHost = "127.0.0.1"
    /// The bearer token the dashboard and API require (`STOCKPIPE_DASHBOARD_TOKEN`).
    public var dashboardToken: String?
    public var dashboard = true
    public var validation = ValidationRules()
    /// The Finnhub source's settings (`finnhub.*`, the API key).
    public var finnhub = FinnhubSettings()
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
            try finnhub.validate()
            try finnhub.validateSubscription(to: subscribedSymbols, anySymbol: allowsAnySymbol)
        }
        try logSettings.validate()
        try storeSettings.validate()
        if symbols?.isEmpty == true { throw UserError("symbols is empty; give at least one symbol, or * to allow any") }
        if rate <= 0 { throw UserError("rate must be above 0 trades per second") }
        if !(0...1).contains(badFraction) { throw UserError("bad-fraction must be between 0 and 1") }
        if !(0...65535).contains(port) { throw UserError("port must be between 0 (any free port) and 65535") }
        if batchSize < 1 || batchSize > 100_000 { throw UserError("batch-size must be between 1 and 100000") }
        if storeRetention > 0 && storeRetention < validation.maxAge {
            // A trade older than the store keeps, but young enough to pass validation, would be stored again.
            throw UserError(
                "retention.store must be 0 (keep everything) or at least validation.max-age "
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
                let rule =
                    validation.symbolPattern == ValidationRules.defaultSymbolPattern
                    ? "upper-case letters, digits and . _ - / = ^, with an optional EXCHANGE: prefix, like AAPL, BRK.B or BINANCE:BTCUSDT"
                    : "validation.symbol-pattern \(validation.symbolPattern)"
                throw UserError("symbols: \(shown) does not match the symbol pattern (\(rule)); trades of it would all be invalid_symbol")
            }
        }
    }
}

extension Settings {
    /// Without an explicit source, Finnhub when a token is set, else the simulator.
    public mutating func chooseSource() {
        if !sourceChosen && finnhub.token != nil { source = .finnhub }
    }

    /// The Finnhub source's configuration, subscribing to ``subscribedSymbols``; nil without an API key.
    public var finnhubConfiguration: FinnhubConfiguration? {
        finnhub.configuration(subscribingTo: subscribedSymbols)
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
