import ArgumentParser
import Foundation
import StockpipeApp
import StockpipeCore
import StockpipePipeline

/// Where the settings come from and where the data lives; every command has these.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file.", valueName: "F"))
    var config: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (default ./stockpipe-data).", valueName: "D"))
    var dataDirectory: String?

    @Option(help: ArgumentHelp("Where the topics live: embedded (SQLite in the data directory) or kafka.", valueName: "L"))
    var log: String?

    @Option(help: ArgumentHelp("Kafka bootstrap servers; implies --log kafka.", valueName: "HOST:PORT,..."))
    var brokers: String?

    @Option(
        name: .customLong("kafka-property"),
        help: ArgumentHelp("A librdkafka property for every Kafka client; repeatable.", valueName: "NAME=VALUE"))
    var kafkaProperties: [String] = []

    @Option(help: ArgumentHelp("Where records are stored: embedded (SQLite in the data directory) or cassandra.", valueName: "S"))
    var store: String?

    @Option(name: .customLong("contact-points"), help: ArgumentHelp("Cassandra nodes; implies --store cassandra.", valueName: "HOST:PORT,..."))
    var contactPoints: String?

    @Flag(
        help: ArgumentHelp(
            "Check the flags, the settings and the STOCKPIPE_* environment, say what would run, and exit 0 "
                + "without connecting to anything or touching the data directory."))
    var check = false

    /// Defaults, then file, then environment, then `adjust` (the flags).
    func settings(_ adjust: (inout Settings) throws -> Void = { _ in }) throws -> Settings {
        var settings = try Settings.load(configPath: config, environment: ProcessInfo.processInfo.environment)
        if let dataDirectory { try settings.apply(flag: "data-dir", value: dataDirectory) }
        if let brokers {
            try settings.apply(flag: "brokers", value: brokers)
            if log == nil { settings.log = .kafka }
        }
        if let log { try settings.apply(flag: "log", value: log) }
        if let contactPoints {
            try settings.apply(flag: "contact-points", value: contactPoints)
            if store == nil { settings.store = .cassandra }
        }
        if let store { try settings.apply(flag: "store", value: store) }
        for property in kafkaProperties {
            guard let equals = property.firstIndex(of: "="), equals != property.startIndex else {
                throw UserError("--kafka-property must be NAME=VALUE, like linger.ms=10")
            }
            settings.kafka.properties[String(property[..<equals])] = String(property[property.index(after: equals)...])
        }
        try adjust(&settings)
        settings.chooseSource()
        try settings.validate()
        return settings
    }
}

/// The options of the commands that run stages.
struct StageOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Where records come from: simulator, replay or finnhub.", valueName: "S"))
    var source: String?

    @Option(help: ArgumentHelp("NDJSON file of Finnhub messages, for --source replay.", valueName: "F"))
    var file: String?

    @Option(help: ArgumentHelp("Comma-separated symbols: simulated, and allowed by validation (* allows any).", valueName: "A,B"))
    var symbols: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Simulator trades per second (above 0, at most 1000000).", valueName: "N"))
    var rate: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop the source after N records.", valueName: "N"))
    var limit: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Simulator seed.", valueName: "N"))
    var seed: String?

    @Option(
        name: .customLong("bad-fraction"), parsing: .unconditional,
        help: ArgumentHelp("Share of simulated records with a defect (0...1).", valueName: "X"))
    var badFraction: String?

    @Flag(help: "Process everything there is (the source to its end, then every topic until no lag is left), then exit.")
    var drain = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Dashboard port (default 8080; 0 picks a free one).", valueName: "P"))
    var port: String?

    @Option(help: ArgumentHelp("Dashboard address (default 127.0.0.1; others need STOCKPIPE_DASHBOARD_TOKEN).", valueName: "HOST"))
    var host: String?

    @Option(
        name: .customLong("metrics-port"), parsing: .unconditional,
        help: ArgumentHelp("Serve this process's /metrics and /health on this port (off by default; 0 picks a free one).", valueName: "P"))
    var metricsPort: String?

    @Option(
        name: .customLong("metrics-host"),
        help: ArgumentHelp("Address of --metrics-port (default 127.0.0.1; others need STOCKPIPE_DASHBOARD_TOKEN).", valueName: "HOST"))
    var metricsHost: String?

    @Flag(name: .customLong("no-dashboard"), help: "Do not serve the dashboard.")
    var noDashboard = false

    @Flag(name: .customLong("no-scheduler"), help: "Do not run the scheduled jobs beside the pipeline.")
    var noScheduler = false

    @Option(
        name: .customLong("batch-size"), parsing: .unconditional,
        help: ArgumentHelp("Records a stage handles at a time.", valueName: "N"))
    var batchSize: String?

    @Option(
        name: .customLong("max-age"), parsing: .unconditional,
        help: ArgumentHelp("Oldest trade accepted, e.g. 7d.", valueName: "DURATION"))
    var maxAge: String?

    @Option(
        name: .customLong("max-future-skew"), parsing: .unconditional,
        help: ArgumentHelp("How far ahead of receipt a trade may be stamped, e.g. 60s.", valueName: "DURATION"))
    var maxFutureSkew: String?

    @Option(
        name: .customLong("price-jump-percent"), parsing: .unconditional,
        help: ArgumentHelp("Largest move from the last accepted price, in percent.", valueName: "N"))
    var priceJumpPercent: String?

    @Option(
        name: .customLong("max-price"), parsing: .unconditional,
        help: ArgumentHelp("Highest price accepted (default 1e9); above it a trade is out_of_range.", valueName: "N"))
    var maxPrice: String?

    @Option(
        name: .customLong("max-volume"), parsing: .unconditional,
        help: ArgumentHelp("Largest volume of one trade accepted (default 1e12).", valueName: "N"))
    var maxVolume: String?

    func settings() throws -> Settings {
        try common.settings { settings in
            let flags: [(String, String?)] = [
                ("source", source), ("file", file), ("symbols", symbols), ("rate", rate),
                ("limit", limit), ("seed", seed), ("bad-fraction", badFraction), ("port", port), ("host", host),
                ("metrics-port", metricsPort), ("metrics-host", metricsHost),
                ("batch-size", batchSize), ("validation.max-age", maxAge), ("validation.max-future-skew", maxFutureSkew),
                ("validation.price-jump-percent", priceJumpPercent), ("validation.max-price", maxPrice),
                ("validation.max-volume", maxVolume),
            ]
            for case (let key, let value?) in flags {
                try settings.apply(flag: key, value: value)
            }
            if noDashboard { settings.dashboard = false }
            if let file = settings.file {
                settings.file = URL(fileURLWithPath: file).standardizedFileURL.path
                if source == nil && settings.source == .simulator { settings.source = .replay }
                settings.sourceChosen = true
            }
        }
    }
}
