import Foundation
import StockpipeFinnhub
import Yams

extension Settings {
    /// Builds settings from defaults, then the YAML file, then `STOCKPIPE_*` environment variables.
    /// Command-line flags are applied by the caller afterwards, so they win.
    ///
    /// The file is `configPath`, else `$STOCKPIPE_CONFIG`, else `./stockpipe.yaml` if it exists.
    public static func load(configPath: String?, environment: [String: String]) throws -> Settings {
        var settings = Settings()
        let explicit = configPath ?? environment["STOCKPIPE_CONFIG"]
        let path = explicit ?? (FileManager.default.fileExists(atPath: "stockpipe.yaml") ? "stockpipe.yaml" : nil)
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw UserError("cannot read configuration file \(path); check the path given to --config")
            }
            let document: Any?
            do {
                document = try Yams.load(yaml: text)
            } catch {
                throw UserError("configuration file \(path) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
            }
            guard let values = document as? [String: Any] else {
                if document == nil { return settings }
                throw UserError("configuration file \(path) must be a mapping of settings, like `source: replay`")
            }
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                try settings.apply(key: key, value: value, origin: "\(path)")
            }
        }
        // Finnhub's own name for the key, as its documentation and other tools use it.
        if let token = environment["FINNHUB_TOKEN"].flatMap(FinnhubToken.init) { settings.finnhubToken = token }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("STOCKPIPE_") && name != "STOCKPIPE_CONFIG" {
            guard let key = Settings.environmentKeys[name] else { continue }
            try settings.apply(key: key, value: value, origin: "environment variable \(name)")
        }
        return settings
    }

    /// Every setting by its file key; nested keys are written `validation.max-age`.
    static let keys = [
        "data-dir", "log", "brokers", "kafka.<property>", "store", "contact-points", "cassandra.keyspace", "cassandra.replication",
        "cassandra.consistency", "cassandra.ttl", "cassandra.quarantine-ttl", "cassandra.username", "cassandra.password",
        "cassandra.tls", "cassandra.ca-certificate", "source", "file", "symbols", "rate", "limit", "seed", "bad-fraction", "host", "port", "dashboard",
        "dashboard-token",
        "batch-size", "validation.max-future-skew", "validation.max-age", "validation.price-jump-percent",
        "validation.price-jump-window", "validation.symbol-pattern", "retention.staging", "retention.stock_data",
        "retention.bad_stock_data", "finnhub.token-file", "finnhub.token", "finnhub.ws-url", "finnhub.rest-url",
        "finnhub.max-symbols", "finnhub.stall-timeout", "finnhub.ca-certificate", "finnhub.quote-interval",
        "finnhub.calls-per-minute", "finnhub.calls-per-second", "retention.store", "scheduler",
        "jobs.<job>.schedule", "jobs.<job>.enabled", "jobs.<job>.time-zone", "jobs.<job>.calendar", "jobs.<job>.timeout",
        "jobs.<job>.attempts", "jobs.<job>.backoff", "quality.freshness", "quality.max-quarantine-percent", "quality.window",
        "quality.max-gap-minutes", "quality.calendar",
    ]

    /// `STOCKPIPE_DATA_DIR` → `data-dir`, `STOCKPIPE_VALIDATION_MAX_AGE` → `validation.max-age`, ...
    static let environmentKeys: [String: String] = Dictionary(uniqueKeysWithValues: keys.filter { !$0.contains("<") }.map { key in
        ("STOCKPIPE_" + key.uppercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_"), key)
    })

    /// Applies a command-line flag, named as in the configuration file.
    public mutating func apply(flag key: String, value: String) throws {
        try apply(key: key, value: value, origin: "--\(key.split(separator: ".").last ?? "")")
    }

    mutating func apply(key: String, value: Any, origin: String) throws {
        if let nested = value as? [String: Any],
           ["validation", "retention", "kafka", "finnhub", "cassandra", "jobs", "quality"].contains(key)
            || (key.hasPrefix("jobs.") && key.split(separator: ".").count == 2) {
            for (inner, innerValue) in nested.sorted(by: { $0.key < $1.key }) {
                try apply(key: "\(key).\(inner)", value: innerValue, origin: origin)
            }
            return
        }
        let text = Self.text(of: value)
        func fail(_ expected: String) -> UserError {
            let subject = origin.hasPrefix("--") ? origin : "\(key) in \(origin)"
            return UserError("\(subject) must be \(expected), not \(text.isEmpty ? "empty" : "'\(text)'")")
        }
        if key.hasPrefix("kafka."), key.count > "kafka.".count {
            kafkaProperties[String(key.dropFirst("kafka.".count))] = text
            return
        }
        if key.hasPrefix("jobs.") {
            try applyJob(key: key, text: text, origin: origin, fail: fail)
            return
        }
        switch key {
        case "data-dir": dataDirectory = text
        case "log":
            guard let kind = LogKind(rawValue: text) else { throw fail("embedded or kafka") }
            log = kind
        case "brokers": brokers = text
        case "store":
            guard let kind = StoreKind(rawValue: text) else { throw fail("embedded or cassandra") }
            store = kind
        case "contact-points": contactPoints = text
        case "cassandra.keyspace": cassandraKeyspace = text
        case "cassandra.replication": cassandraReplication = text
        case "cassandra.consistency": cassandraConsistency = text
        case "cassandra.ttl": cassandraTTL = try Self.duration(text).map { $0 == 0 ? nil : $0 } ?? { throw fail("a duration like 90d, or 0") }()
        case "cassandra.quarantine-ttl":
            cassandraQuarantineTTL = try Self.duration(text).map { $0 == 0 ? nil : $0 } ?? { throw fail("a duration like 30d, or 0") }()
        case "cassandra.username": cassandraUsername = text.isEmpty ? nil : text
        case "cassandra.password": cassandraPassword = text
        case "cassandra.tls": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; cassandraTLS = flag
        case "cassandra.ca-certificate": cassandraCACertificate = text
        case "source":
            guard let kind = SourceKind(rawValue: text) else { throw fail("one of simulator, replay, finnhub") }
            source = kind
            sourceChosen = true
        case "finnhub.token":
            finnhubToken = FinnhubToken(text)
        case "finnhub.token-file":
            guard let contents = try? String(contentsOfFile: text, encoding: .utf8), let token = FinnhubToken(contents) else {
                throw UserError("cannot read a Finnhub token from \(text) (finnhub.token-file in \(origin)); check the path and that it is not empty")
            }
            finnhubToken = token
        case "finnhub.ws-url": finnhubWebSocketURL = text
        case "finnhub.rest-url": finnhubRestURL = text
        case "finnhub.max-symbols": guard let number = Int(text), number > 0 else { throw fail("a number of symbols") }; finnhubMaxSymbols = number
        case "finnhub.stall-timeout": finnhubStallTimeout = try Self.duration(text) ?? { throw fail("a duration like 30s") }()
        case "finnhub.ca-certificate": finnhubCACertificate = text
        case "finnhub.quote-interval": finnhubQuoteInterval = try Self.duration(text) ?? { throw fail("a duration like 60s, or 0") }()
        case "finnhub.calls-per-minute":
            guard let number = Int(text), number > 0 else { throw fail("a number of calls") }; finnhubCallsPerMinute = number
        case "finnhub.calls-per-second":
            guard let number = Int(text), number > 0 else { throw fail("a number of calls") }; finnhubCallsPerSecond = number
        case "file": file = text
        case "symbols":
            let list = (value as? [Any])?.map(Self.text(of:)) ?? text.split(separator: ",").map(String.init)
            symbols = list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case "rate": guard let number = Double(text) else { throw fail("a number of trades per second") }; rate = number
        case "limit": guard let number = Int(text), number >= 0 else { throw fail("a whole number of records") }; limit = number
        case "seed": guard let number = UInt64(text) else { throw fail("a whole number") }; seed = number
        case "bad-fraction": guard let number = Double(text) else { throw fail("a fraction like 0.05") }; badFraction = number
        case "port": guard let number = Int(text) else { throw fail("a port number") }; port = number
        case "host": guard !text.isEmpty else { throw fail("an address to listen on, like 127.0.0.1") }; host = text
        case "dashboard-token": dashboardToken = text.isEmpty ? nil : text
        case "dashboard": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; dashboard = flag
        case "batch-size": guard let number = Int(text) else { throw fail("a whole number") }; batchSize = number
        case "validation.max-future-skew": validation.maxFutureSkew = try Self.duration(text) ?? { throw fail("a duration like 60s") }()
        case "validation.max-age": validation.maxAge = try Self.duration(text) ?? { throw fail("a duration like 7d") }()
        case "validation.price-jump-window": validation.priceJumpWindow = try Self.duration(text) ?? { throw fail("a duration like 15m") }()
        case "validation.price-jump-percent":
            guard let number = Double(text), number > 0 else { throw fail("a percentage above 0, like 20") }
            validation.priceJumpFraction = number / 100
        case "validation.symbol-pattern": validation.symbolPattern = text
        case "retention.store":
            storeRetention = try Self.duration(text) ?? { throw fail("a duration like 90d, or 0 to keep everything") }()
        case "scheduler": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; scheduler = flag
        case "quality.freshness": quality.freshness = try Self.duration(text) ?? { throw fail("a duration like 5m") }()
        case "quality.window": quality.window = try Self.duration(text).flatMap { $0 >= 60_000 ? $0 : nil } ?? { throw fail("a duration of at least 1m, like 1h") }()
        case "quality.max-quarantine-percent":
            guard let number = Double(text), (0...100).contains(number) else { throw fail("a percentage between 0 and 100") }
            quality.maxQuarantinePercent = number
        case "quality.max-gap-minutes":
            guard let number = Int(text), number >= 0 else { throw fail("a whole number of minutes") }; quality.maxGapMinutes = number
        case "quality.calendar": quality.calendar = text.lowercased()
        case "retention.staging", "retention.stock_data", "retention.bad_stock_data":
            retention[String(key.dropFirst("retention.".count))] = try Self.duration(text) ?? { throw fail("a duration like 3d") }()
        default:
            throw UserError("unknown setting '\(key)' in \(origin); known settings: \(Self.keys.joined(separator: ", "))")
        }
    }

    /// `jobs.NAME.FIELD`, for a built-in job.
    private mutating func applyJob(key: String, text: String, origin: String, fail: (String) -> UserError) throws {
        let parts = key.split(separator: ".").map(String.init)
        guard parts.count == 3, let job = BuiltInJob(rawValue: parts[1]) else {
            throw UserError("unknown setting '\(key)' in \(origin); jobs are \(BuiltInJob.allCases.map(\.rawValue).joined(separator: ", ")), "
                            + "each with schedule, enabled, time-zone, calendar, timeout, attempts, backoff")
        }
        var settings = jobs[job] ?? JobSettings.defaults(job)
        switch parts[2] {
        case "schedule": settings.schedule = text
        case "enabled": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; settings.enabled = flag
        case "time-zone": settings.timeZone = text
        case "calendar": settings.calendar = text.lowercased()
        case "timeout": settings.timeout = try Self.duration(text) ?? { throw fail("a duration like 5m") }()
        case "attempts": guard let number = Int(text) else { throw fail("a whole number of tries") }; settings.attempts = number
        case "backoff": settings.backoff = try Self.duration(text) ?? { throw fail("a duration like 10s") }()
        default:
            throw UserError("unknown setting '\(key)' in \(origin); a job has schedule, enabled, time-zone, calendar, timeout, attempts, backoff")
        }
        jobs[job] = settings
    }

    static func text(of value: Any) -> String {
        switch value {
        case let string as String: string
        case let number as Int: String(number)
        case let number as Double: String(number)
        case let flag as Bool: String(flag)
        default: String(describing: value)
        }
    }

    /// `500ms`, `60s`, `15m`, `3h`, `7d`, or a bare number of seconds; in milliseconds.
    public static func duration(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            if let number = Double(trimmed.dropLast(suffix.count)), number >= 0 { return Int64(number * scale) }
        }
        if let seconds = Double(trimmed), seconds >= 0 { return Int64(seconds * 1_000) }
        return nil
    }
}

extension Settings {
    /// `STOCKPIPE_*` variables that stockpipe and its scripts read for something other than a setting
    /// (the last two: where scripts/cassandra-1.2.sh finds its jar, and the JVM options it adds).
    static let otherEnvironmentVariables: Set<String> = [
        "STOCKPIPE_CONFIG", "STOCKPIPE_LOG_LEVEL", "STOCKPIPE_BIN", "STOCKPIPE_DAG_SCHEDULE",
        "STOCKPIPE_CASSANDRA_JAR", "STOCKPIPE_CASSANDRA_JAVA_OPTS",
    ]

    /// `STOCKPIPE_*` variables that name no setting, each with the nearest name that does, if one is close:
    /// a misspelt variable is otherwise silently ignored.
    public static func unknownEnvironmentVariables(_ environment: [String: String]) -> [(name: String, suggestion: String?)] {
        let known = Set(environmentKeys.keys).union(otherEnvironmentVariables).sorted()
        let unknown = environment.keys.sorted().filter { name in
            name.hasPrefix("STOCKPIPE_") && !name.hasPrefix("STOCKPIPE_BENCH_") && !known.contains(name)
        }
        return unknown.map { name -> (name: String, suggestion: String?) in
            var best: (name: String, distance: Int)?
            for candidate in known {
                let distance = editDistance(name, candidate)
                if distance <= 2 && distance < (best?.distance ?? .max) { best = (candidate, distance) }
            }
            return (name, best?.name)
        }
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a.utf8), Array(b.utf8))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                let substitution = previous[j] + (x == y ? 0 : 1)
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
