import StockpipeCore
import StockpipeDashboard
import StockpipePipeline
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
            // An empty file sets nothing (and the environment still applies).
            if let document = try loadYAML(path: path), !(document is NSNull) {
                guard let values = document as? [String: Any] else {
                    throw UserError("configuration file \(path) must be a mapping of settings, like `source: replay`")
                }
                for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                    try settings.apply(key: key, value: value, origin: "\(path)")
                }
            }
        }
        if let level = environment["STOCKPIPE_LOG_LEVEL"], !logLevels.contains(level) {
            throw UserError("environment variable STOCKPIPE_LOG_LEVEL must be one of \(logLevels.joined(separator: ", ")), "
                            + "not \(level.isEmpty ? "empty" : "'\(level.prefix(40))'")")
        }
        // Finnhub's own name for the key, as its documentation and other tools use it.
        if let token = environment["FINNHUB_TOKEN"].flatMap(FinnhubToken.init) { settings.finnhubToken = token }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("STOCKPIPE_") && name != "STOCKPIPE_CONFIG" {
            guard let key = Settings.environmentKeys[name] else { continue }
            try settings.apply(key: key, value: value, origin: "environment variable \(name)")
        }
        return settings
    }

    /// The values of `STOCKPIPE_LOG_LEVEL` (swift-log's levels).
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// The largest configuration file read: a settings file is a few KiB.
    static let largestFile = 1 << 20
    /// The most YAML nodes a file may hold: far more than every setting, far fewer than would take long to read.
    static let mostNodes = 100_000

    /// The configuration file's document, bounded: a file over 1 MiB and a file that uses aliases
    /// (`*name`, which can multiply a small file into gigabytes) are refused with one line.
    static func loadYAML(path: String) throws -> Any? {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        if let size, size > largestFile {
            throw UserError("configuration file \(path) is \(size) bytes; a configuration file must be at most 1 MiB")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= largestFile,
              let text = String(data: data, encoding: .utf8) else {
            if let data = FileManager.default.contents(atPath: path), data.count > largestFile {
                throw UserError("configuration file \(path) is over 1 MiB; a configuration file must be at most 1 MiB")
            }
            if FileManager.default.contents(atPath: path) != nil {
                throw UserError("configuration file \(path) is not UTF-8 text; save it as UTF-8")
            }
            throw UserError("cannot read configuration file \(path); check the path given to --config")
        }
        if let line = YAMLAliases.firstAliasLine(in: text) {
            throw UserError("configuration file \(path) uses a YAML alias (*name) on line \(line); aliases are not supported: "
                            + "write the value out, or quote it if the * is part of it")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw UserError("configuration file \(path) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let node else { return nil }
        var budget = mostNodes
        guard YAMLAliases.fits(node, budget: &budget) else {
            throw UserError("configuration file \(path) holds more than \(mostNodes) values; a configuration file is a few settings")
        }
        // The YAML library constructs a mapping's keys as text and traps on any other (`[a, b]: c`).
        if let line = YAMLAliases.firstNonScalarKeyLine(in: node) {
            throw UserError("\(path) line \(line): a key must be a plain name, not a list or mapping")
        }
        return Constructor.default.any(from: node)
    }

    /// Every setting by its file key; nested keys are written `validation.max-age`.
    static let keys = [
        "data-dir", "log", "brokers", "kafka.<property>", "store", "contact-points", "cassandra.keyspace", "cassandra.replication",
        "cassandra.consistency", "cassandra.ttl", "cassandra.quarantine-ttl", "cassandra.username", "cassandra.password",
        "cassandra.tls", "cassandra.ca-certificate", "source", "file", "symbols", "rate", "limit", "seed", "bad-fraction", "host", "port", "dashboard",
        "dashboard-token",
        "batch-size", "validation.max-future-skew", "validation.max-age", "validation.price-jump-percent",
        "validation.max-price", "validation.max-volume",
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
        let subject = origin.hasPrefix("--") ? origin : "\(key) in \(origin)"
        if ["validation", "retention", "kafka", "finnhub", "cassandra", "jobs", "quality"].contains(key) {
            throw UserError("\(subject) must be a mapping of \(key).* settings, like `\(key):` and then indented `name: value` lines")
        }
        func fail(_ expected: String) -> UserError {
            UserError("\(subject) must be \(expected), not \(text.isEmpty ? "empty" : "'\(text.prefix(80))'")")
        }
        // One value per key: a list or a mapping where a single value belongs is a mistake, not text.
        if Self.isMapping(value) {
            throw UserError("\(subject) must be a single value, not a mapping")
        }
        if let list = value as? [Any] {
            guard key == "symbols" else { throw UserError("\(subject) must be a single value, not a list") }
            guard list.allSatisfy({ !($0 is [Any]) && !Self.isMapping($0) && !($0 is NSNull) }) else {
                throw UserError("\(subject) must be a list of symbols like [AAPL, MSFT], not a list holding a list, a mapping or an empty item")
            }
        }
        if key == "symbols" {
            // YAML reads 123, true, ON or 2024-01-01 unquoted as a number, a flag or a date, not as a symbol.
            for item in (value as? [Any]) ?? [value] where !(item is String) {
                throw UserError("\(subject) must be symbols, not '\(Self.text(of: item).prefix(40))' (YAML reads it as a number, "
                                + "a flag or a date); quote it if it is a symbol")
            }
        }
        if key.hasPrefix("kafka."), key.count > "kafka.".count {
            kafkaProperties[String(key.dropFirst("kafka.".count))] = text
            return
        }
        if key.hasPrefix("jobs.") {
            try applyJob(key: key, text: text, origin: origin, fail: fail)
            return
        }
        /// A non-empty text, for keys that name something.
        func nonEmpty(_ expected: String) throws -> String {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(expected) }
            return text
        }
        /// A finite number in `range`; `above` excludes the lower bound.
        func number(_ range: ClosedRange<Double>, above: Bool = false, _ expected: String) throws -> Double {
            guard let number = Double(text), number.isFinite, range.contains(number), !(above && number == range.lowerBound) else {
                throw fail(expected)
            }
            return number
        }
        func whole(_ range: ClosedRange<Int>, _ expected: String) throws -> Int {
            guard let number = Int(text), range.contains(number) else { throw fail(expected) }
            return number
        }
        /// A duration in `range` (milliseconds); with `orZero`, 0 too.
        func duration(_ range: ClosedRange<Int64>, orZero: Bool = false, _ expected: String) throws -> Int64 {
            guard let milliseconds = Self.duration(text), range.contains(milliseconds) || (orZero && milliseconds == 0) else {
                throw fail(expected)
            }
            return milliseconds
        }
        typealias L = SettingLimits
        switch key {
        case "data-dir": dataDirectory = try nonEmpty("a directory, like ./stockpipe-data")
        case "log":
            guard let kind = LogKind(rawValue: text) else { throw fail("embedded or kafka") }
            log = kind
        case "brokers": brokers = try nonEmpty("Kafka bootstrap servers, like kafka-1:9092,kafka-2:9092")
        case "store":
            guard let kind = StoreKind(rawValue: text) else { throw fail("embedded or cassandra") }
            store = kind
        case "contact-points": contactPoints = try nonEmpty("Cassandra nodes, like cassandra-1:9042,cassandra-2")
        case "cassandra.keyspace": cassandraKeyspace = try nonEmpty("a keyspace name, like stock_data")
        case "cassandra.replication": cassandraReplication = try nonEmpty("SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M")
        case "cassandra.consistency": cassandraConsistency = try nonEmpty("a consistency level, like local_quorum")
        case "cassandra.ttl":
            let ttl = try duration(L.cassandraTTL, orZero: true, "a duration between 1s and 7300d, like 90d, or 0 to keep rows")
            cassandraTTL = ttl == 0 ? nil : ttl
        case "cassandra.quarantine-ttl":
            let ttl = try duration(L.cassandraTTL, orZero: true, "a duration between 1s and 7300d, like 30d, or 0 to keep rows")
            cassandraQuarantineTTL = ttl == 0 ? nil : ttl
        case "cassandra.username": cassandraUsername = text.isEmpty ? nil : text
        case "cassandra.password": cassandraPassword = text
        case "cassandra.tls": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; cassandraTLS = flag
        case "cassandra.ca-certificate": cassandraCACertificate = try nonEmpty("a PEM file")
        case "source":
            guard let kind = SourceKind(rawValue: text) else { throw fail("one of simulator, replay, finnhub") }
            source = kind
            sourceChosen = true
        case "finnhub.token":
            finnhubToken = FinnhubToken(try nonEmpty("a Finnhub API key (better in FINNHUB_TOKEN)"))
        case "finnhub.token-file":
            guard let contents = try? String(contentsOfFile: text, encoding: .utf8), let token = FinnhubToken(contents) else {
                throw UserError("cannot read a Finnhub token from \(text) (finnhub.token-file in \(origin)); check the path and that it is not empty")
            }
            finnhubToken = token
        case "finnhub.ws-url": finnhubWebSocketURL = try nonEmpty("a WebSocket address, like wss://ws.finnhub.io")
        case "finnhub.rest-url": finnhubRestURL = try nonEmpty("an address, like https://finnhub.io/api/v1")
        case "finnhub.max-symbols": finnhubMaxSymbols = try whole(L.finnhubMaxSymbols, "a number of symbols between 1 and 10000")
        case "finnhub.stall-timeout": finnhubStallTimeout = try duration(L.finnhubStallTimeout, "a duration between 1s and 1d, like 30s")
        case "finnhub.ca-certificate": finnhubCACertificate = try nonEmpty("a PEM file")
        case "finnhub.quote-interval":
            finnhubQuoteInterval = try duration(L.finnhubQuoteInterval, orZero: true, "a duration between 1s and 1d, like 60s, or 0")
        case "finnhub.calls-per-minute":
            finnhubCallsPerMinute = try whole(L.callsPerMinute, "a number of calls between 1 and 1000000")
        case "finnhub.calls-per-second":
            finnhubCallsPerSecond = try whole(L.callsPerSecond, "a number of calls between 1 and 100000")
        case "file": file = try nonEmpty("an NDJSON file of Finnhub messages")
        case "symbols":
            let list = (value as? [Any])?.map(Self.text(of:)) ?? text.split(separator: ",").map(String.init)
            let given = list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !given.isEmpty else { throw fail("at least one symbol, like AAPL,MSFT, or * to allow any") }
            symbols = given
        case "rate": rate = try number(L.rate, above: true, "a number of trades per second above 0 and at most 1000000")
        case "limit": limit = try whole(0...Int.max, "a whole number of records, 0 or more")
        case "seed": guard let number = UInt64(text) else { throw fail("a whole number from 0 to 18446744073709551615") }; seed = number
        case "bad-fraction":
            let fraction = try number(0...1, "a fraction between 0 and 1, like 0.05")
            badFraction = fraction == 0 ? 0 : fraction  // -0 is 0 (and shown as 0.0 %)
        case "port": port = try whole(0...65_535, "a port number between 0 (any free port) and 65535")
        case "host": host = try nonEmpty("an address to listen on, like 127.0.0.1")
        case "dashboard-token":
            // Surrounding whitespace is not part of it (the newline of `$(cat file)` or an editor's). Never shown.
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { dashboardToken = nil; break }
            if let problem = DashboardConfiguration.tokenProblem(token) { throw UserError("\(subject) \(problem)") }
            dashboardToken = token
        case "dashboard": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; dashboard = flag
        case "batch-size": batchSize = try whole(L.batchSize, "a whole number between 1 and 100000")
        case "validation.max-future-skew":
            validation.maxFutureSkew = try duration(L.maxFutureSkew, "a duration between 0 and 1d, like 60s")
        case "validation.max-age": validation.maxAge = try duration(L.maxAge, "a duration between 1s and 3650d, like 7d")
        case "validation.price-jump-window":
            validation.priceJumpWindow = try duration(L.priceJumpWindow, "a duration between 1s and 7d, like 15m")
        case "validation.price-jump-percent":
            validation.priceJumpFraction = try number(L.priceJumpPercent, above: true, "a percentage above 0 and at most 10000, like 20") / 100
        case "validation.max-price": validation.maxPrice = try number(L.maxPrice, above: true, "a price above 0 and at most 1e12, like 1e9")
        case "validation.max-volume":
            validation.maxVolume = try number(L.maxVolume, above: true, "a volume above 0 and at most 1e15, like 1e12")
        case "validation.symbol-pattern": validation.symbolPattern = try nonEmpty("a regular expression")
        case "retention.store":
            storeRetention = try duration(L.storeRetention, orZero: true, "a duration up to 36500d, like 90d, or 0 to keep everything")
        case "scheduler": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; scheduler = flag
        case "quality.freshness": quality.freshness = try duration(L.freshness, "a duration between 1s and 30d, like 5m")
        case "quality.window": quality.window = try duration(L.qualityWindow, "a duration between 1m and 30d, like 1h")
        case "quality.max-quarantine-percent":
            quality.maxQuarantinePercent = try number(0...100, "a percentage between 0 and 100")
        case "quality.max-gap-minutes": quality.maxGapMinutes = try whole(L.maxGapMinutes, "a whole number of minutes between 0 and 43200")
        case "quality.calendar": quality.calendar = try nonEmpty("nyse or always").lowercased()
        case "retention.staging", "retention.stock_data", "retention.bad_stock_data":
            retention[String(key.dropFirst("retention.".count))] = try duration(L.topicRetention, "a duration between 1m and 3650d, like 3d")
        default:
            throw UserError("unknown setting '\(key)' in \(origin); known settings: \(Self.keys.joined(separator: ", "))")
        }
    }

    static func isMapping(_ value: Any) -> Bool {
        value is [AnyHashable: Any] || value is [String: Any]
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
        case "schedule":
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("an interval like every 5m, or a cron expression") }
            settings.schedule = text
        case "enabled": guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }; settings.enabled = flag
        case "time-zone":
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("an IANA time zone like America/New_York") }
            settings.timeZone = text
        case "calendar":
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("nyse, always or none") }
            settings.calendar = text.lowercased()
        case "timeout":
            guard let timeout = Self.duration(text), SettingLimits.jobTimeout.contains(timeout) else {
                throw fail("a duration between 1s and 1d, like 5m")
            }
            settings.timeout = timeout
        case "attempts":
            guard let number = Int(text), SettingLimits.jobAttempts.contains(number) else { throw fail("a whole number of tries between 1 and 100") }
            settings.attempts = number
        case "backoff":
            guard let backoff = Self.duration(text), SettingLimits.jobBackoff.contains(backoff) else {
                throw fail("a duration between 0 and 1d, like 10s")
            }
            settings.backoff = backoff
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
        case is NSNull: ""
        default: String(describing: value)
        }
    }

    /// `500ms`, `60s`, `15m`, `3h`, `7d`, or a bare number of seconds; in milliseconds.
    /// Nil for anything else, and for a negative, non-finite or longer duration than
    /// ``SettingLimits/longestDuration`` (so that no arithmetic on times and durations can overflow).
    public static func duration(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var milliseconds: Double?
        if let seconds = Double(trimmed) {
            milliseconds = seconds * 1_000
        } else if let (suffix, scale) = units.first(where: { trimmed.hasSuffix($0.0) }), let number = Double(trimmed.dropLast(suffix.count)) {
            // "ms" before "s": the first unit whose suffix matches is the right one.
            milliseconds = number * scale
        }
        guard let milliseconds, milliseconds.isFinite, milliseconds >= 0,
              milliseconds <= Double(SettingLimits.longestDuration) else { return nil }
        return Int64(milliseconds.rounded(.towardZero))
    }
}

/// The valid range of each setting that has one (durations in milliseconds); the README's
/// configuration table lists the same.
public enum SettingLimits {
    static let second: Int64 = 1_000, minute: Int64 = 60_000, day: Int64 = 86_400_000
    /// 100 years: no duration setting may be longer, whatever its own range.
    public static let longestDuration: Int64 = 36_500 * day
    static let rate: ClosedRange<Double> = 0...1_000_000
    static let batchSize = 1...100_000
    static let maxFutureSkew: ClosedRange<Int64> = 0...day
    static let maxAge: ClosedRange<Int64> = second...(3_650 * day)
    static let priceJumpWindow: ClosedRange<Int64> = second...(7 * day)
    static let priceJumpPercent: ClosedRange<Double> = 0...10_000
    static let maxPrice: ClosedRange<Double> = 0...1e12
    static let maxVolume: ClosedRange<Double> = 0...1e15
    static let topicRetention: ClosedRange<Int64> = minute...(3_650 * day)
    static let storeRetention: ClosedRange<Int64> = 0...longestDuration
    static let cassandraTTL: ClosedRange<Int64> = second...(7_300 * day)
    static let finnhubMaxSymbols = 1...10_000
    static let finnhubStallTimeout: ClosedRange<Int64> = second...day
    static let finnhubQuoteInterval: ClosedRange<Int64> = second...day
    static let callsPerMinute = 1...1_000_000
    static let callsPerSecond = 1...100_000
    static let freshness: ClosedRange<Int64> = second...(30 * day)
    static let qualityWindow: ClosedRange<Int64> = minute...(30 * day)
    static let maxGapMinutes = 0...43_200
    static let jobTimeout: ClosedRange<Int64> = second...day
    static let jobAttempts = 1...100
    static let jobBackoff: ClosedRange<Int64> = 0...day
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

/// Finds YAML aliases in a configuration file's text before the YAML library expands them.
enum YAMLAliases {
    /// The 1-based line of the first alias (`*name` where a value starts), outside quotes and comments; nil if none.
    /// A `*` inside a plain value (`a *b`) is text to YAML and is not taken for an alias.
    static func firstAliasLine(in text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var quote: Character?
            var previous: Character?
            var valueStart = true  // at a place where a YAML node may begin
            var characters = Array(line)
            if characters.last == "\r" { characters.removeLast() }
            var position = 0
            while position < characters.count {
                let character = characters[position]
                defer { previous = character; position += 1 }
                if let open = quote {
                    if character == open {
                        if open == "'" && position + 1 < characters.count && characters[position + 1] == "'" { position += 1; continue }
                        quote = nil
                    } else if open == "\"" && character == "\\" {
                        position += 1
                    }
                    continue
                }
                if character == "#" && (previous == nil || previous == " " || previous == "\t") { break }
                if valueStart {
                    switch character {
                    case " ", "\t", "-", "[", "{", ",", "?", ":": continue
                    case "*": return index + 1
                    case "\"", "'": quote = character; valueStart = false; continue
                    case "!", "&":
                        // A tag or an anchor comes before the node itself: skip to its end.
                        while position + 1 < characters.count && characters[position + 1] != " " { position += 1 }
                        continue
                    default: valueStart = false
                    }
                }
                // A flow indicator or a key's colon starts a new node.
                if "[{,".contains(character) || (character == ":" && (position + 1 == characters.count || characters[position + 1] == " ")) {
                    valueStart = true
                }
            }
        }
        return nil
    }

    /// The 1-based line of the first mapping key in `node` that is not a scalar on one line
    /// (a list, a mapping, or a block of lines); nil if every key is one.
    static func firstNonScalarKeyLine(in node: Node) -> Int? {
        switch node {
        case .scalar, .alias: return nil
        case .sequence(let sequence):
            for item in sequence {
                if let line = firstNonScalarKeyLine(in: item) { return line }
            }
            return nil
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key, !scalar.string.contains(where: \.isNewline) else {
                    return key.mark?.line ?? mapping.mark?.line ?? 1
                }
                if let line = firstNonScalarKeyLine(in: value) { return line }
            }
            return nil
        }
    }

    /// Counts `node`'s values, aliases expanded, and answers false as soon as there are more than `budget`.
    static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let sequence):
            for item in sequence where !fits(item, budget: &budget) { return false }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping where !fits(key, budget: &budget) || !fits(value, budget: &budget) { return false }
            return true
        }
    }
}
