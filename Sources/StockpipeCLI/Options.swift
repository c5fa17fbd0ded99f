import ArgumentParser
import Foundation
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

    @Option(name: .customLong("kafka-property"),
            help: ArgumentHelp("A librdkafka property for every Kafka client; repeatable.", valueName: "NAME=VALUE"))
    var kafkaProperties: [String] = []

    @Option(help: ArgumentHelp("Where records are stored: embedded (SQLite in the data directory) or cassandra.", valueName: "S"))
    var store: String?

    @Option(name: .customLong("contact-points"), help: ArgumentHelp("Cassandra nodes; implies --store cassandra.", valueName: "HOST:PORT,..."))
    var contactPoints: String?

    @Flag(help: ArgumentHelp("Check the flags, the settings and the STOCKPIPE_* environment, say what would run, and exit 0 "
                             + "without connecting to anything or touching the data directory."))
    var check = false

    /// Defaults, then file, then environment, then `adjust` (the flags).
    func settings(_ adjust: (inout Settings) throws -> Void = { _ in }) throws -> Settings {
        var settings = try Settings.load(configPath: config, environment: ProcessInfo.processInfo.environment)
        if let dataDirectory { settings.dataDirectory = dataDirectory }
        if let brokers {
            settings.brokers = brokers
            if log == nil { settings.log = .kafka }
        }
        if let log { try settings.apply(flag: "log", value: log) }
        if let contactPoints {
            settings.contactPoints = contactPoints
            if store == nil { settings.store = .cassandra }
        }
        if let store { try settings.apply(flag: "store", value: store) }
        for property in kafkaProperties {
            guard let equals = property.firstIndex(of: "="), equals != property.startIndex else {
                throw UserError("--kafka-property must be NAME=VALUE, like linger.ms=10")
            }
            settings.kafkaProperties[String(property[..<equals])] = String(property[property.index(after: equals)...])
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

    @Option(help: ArgumentHelp("Simulator trades per second.", valueName: "N"))
    var rate: Double?

    @Option(help: ArgumentHelp("Stop the source after N records.", valueName: "N"))
    var limit: Int?

    @Option(help: ArgumentHelp("Simulator seed.", valueName: "N"))
    var seed: UInt64?

    @Option(name: .customLong("bad-fraction"), help: ArgumentHelp("Share of simulated records with a defect (0...1).", valueName: "X"))
    var badFraction: Double?

    @Flag(help: "Process everything there is (the source to its end, then every topic until no lag is left), then exit.")
    var drain = false

    @Option(help: ArgumentHelp("Dashboard port (default 8080; 0 picks a free one).", valueName: "P"))
    var port: Int?

    @Option(help: ArgumentHelp("Dashboard address (default 127.0.0.1; others need STOCKPIPE_DASHBOARD_TOKEN).", valueName: "HOST"))
    var host: String?

    @Flag(name: .customLong("no-dashboard"), help: "Do not serve the dashboard.")
    var noDashboard = false

    @Flag(name: .customLong("no-scheduler"), help: "Do not run the scheduled jobs beside the pipeline.")
    var noScheduler = false

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Records a stage handles at a time.", valueName: "N"))
    var batchSize: Int?

    @Option(name: .customLong("max-age"), help: ArgumentHelp("Oldest trade accepted, e.g. 7d.", valueName: "DURATION"))
    var maxAge: String?

    @Option(name: .customLong("max-future-skew"), help: ArgumentHelp("How far ahead of receipt a trade may be stamped, e.g. 60s.", valueName: "DURATION"))
    var maxFutureSkew: String?

    @Option(name: .customLong("price-jump-percent"), help: ArgumentHelp("Largest move from the last accepted price, in percent.", valueName: "N"))
    var priceJumpPercent: Double?

    func settings() throws -> Settings {
        try common.settings { settings in
            let flags: [(String, String?)] = [
                ("source", source), ("file", file), ("symbols", symbols), ("rate", rate.map { String($0) }),
                ("limit", limit.map { String($0) }), ("seed", seed.map { String($0) }),
                ("bad-fraction", badFraction.map { String($0) }), ("port", port.map { String($0) }), ("host", host),
                ("batch-size", batchSize.map { String($0) }), ("validation.max-age", maxAge),
                ("validation.max-future-skew", maxFutureSkew),
                ("validation.price-jump-percent", priceJumpPercent.map { String($0) }),
            ]
            for case let (key, value?) in flags {
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
