import Foundation
import StockpipeCore
import StockpipePipeline
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
            throw UserError(
                "environment variable STOCKPIPE_LOG_LEVEL must be one of \(logLevels.joined(separator: ", ")), "
                    + "not \(level.isEmpty ? "empty" : "'\(level.prefix(40))'")")
        }
        settings.finnhub.applyEnvironment(environment)
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
            let text = String(data: data, encoding: .utf8)
        else {
            if let data = FileManager.default.contents(atPath: path), data.count > largestFile {
                throw UserError("configuration file \(path) is over 1 MiB; a configuration file must be at most 1 MiB")
            }
            if FileManager.default.contents(atPath: path) != nil {
                throw UserError("configuration file \(path) is not UTF-8 text; save it as UTF-8")
            }
            throw UserError("cannot read configuration file \(path); check the path given to --config")
        }
        if let line = YAMLAliases.firstAliasLine(in: text) {
            throw UserError(
                "configuration file \(path) uses a YAML alias (*name) on line \(line); aliases are not supported: "
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

    /// Every setting by its file key, in the order `unknown setting` lists them; nested keys are
    /// written `validation.max-age`.
    static let keys = layout.flatMap(\.keys)

    /// The first parts of nested keys (`validation`, `kafka`, ...): a mapping of them in the file is read key by key.
    static let mappingPrefixes = Set(keys.filter { $0.contains(".") }.map { String($0.prefix { $0 != "." }) })

    /// `STOCKPIPE_DATA_DIR` → `data-dir`, `STOCKPIPE_VALIDATION_MAX_AGE` → `validation.max-age`, ...
    static let environmentKeys = SettingKey.environmentKeys(of: keys)

    /// Applies a command-line flag, named as in the configuration file.
    public mutating func apply(flag key: String, value: String) throws {
        try apply(key: key, value: value, origin: "--\(key.split(separator: ".").last ?? "")")
    }

    mutating func apply(key: String, value: Any, origin: String) throws {
        if let nested = value as? [String: Any],
            Self.mappingPrefixes.contains(key) || (key.hasPrefix("jobs.") && key.split(separator: ".").count == 2)
        {
            for (inner, innerValue) in nested.sorted(by: { $0.key < $1.key }) {
                try apply(key: "\(key).\(inner)", value: innerValue, origin: origin)
            }
            return
        }
        let value = SettingValue(key: key, given: value, origin: origin)
        try Self.checkShape(of: value, key: key)
        for group in Self.layout {
            if let apply = group.apply, try apply(&self, key, value) { return }
        }
        if key.hasPrefix("jobs.") {
            try applyJob(key: key, value: value)
            return
        }
        try applyGeneral(key: key, value: value)
    }

    /// Refuses a value of the wrong shape: a mapping for a key that is one, a list where one value
    /// belongs, and symbols that YAML read as something else.
    private static func checkShape(of value: SettingValue, key: String) throws {
        let subject = value.subject
        if mappingPrefixes.contains(key) {
            throw UserError("\(subject) must be a mapping of \(key).* settings, like `\(key):` and then indented `name: value` lines")
        }
        // One value per key: a list or a mapping where a single value belongs is a mistake, not text.
        if isMapping(value.given) {
            throw UserError("\(subject) must be a single value, not a mapping")
        }
        if let list = value.given as? [Any] {
            guard key == "symbols" else { throw UserError("\(subject) must be a single value, not a list") }
            guard list.allSatisfy({ !($0 is [Any]) && !isMapping($0) && !($0 is NSNull) }) else {
                throw UserError("\(subject) must be a list of symbols like [AAPL, MSFT], not a list holding a list, a mapping or an empty item")
            }
        }
        if key == "symbols" {
            // YAML reads 123, true, ON or 2024-01-01 unquoted as a number, a flag or a date, not as a symbol.
            for item in (value.given as? [Any]) ?? [value.given] where !(item is String) {
                throw UserError(
                    "\(subject) must be symbols, not '\(SettingValue.text(of: item).prefix(40))' (YAML reads it as a number, "
                        + "a flag or a date); quote it if it is a symbol")
            }
        }
    }

    static func isMapping(_ value: Any) -> Bool {
        value is [AnyHashable: Any] || value is [String: Any]
    }

    /// `jobs.NAME.FIELD`, for a built-in job.
    private mutating func applyJob(key: String, value: SettingValue) throws {
        let parts = key.split(separator: ".").map(String.init)
        guard parts.count == 3, let job = BuiltInJob(rawValue: parts[1]) else {
            throw UserError(
                "unknown setting '\(key)' in \(value.origin); jobs are \(BuiltInJob.allCases.map(\.rawValue).joined(separator: ", ")), "
                    + "each with schedule, enabled, time-zone, calendar, timeout, attempts, backoff")
        }
        var settings = jobs[job] ?? JobSettings.defaults(job)
        switch parts[2] {
        case "schedule": settings.schedule = try value.nonEmpty("an interval like every 5m, or a cron expression")
        case "enabled": settings.enabled = try value.flag()
        case "time-zone": settings.timeZone = try value.nonEmpty("an IANA time zone like America/New_York")
        case "calendar": settings.calendar = try value.nonEmpty("nyse, always or none").lowercased()
        case "timeout": settings.timeout = try value.duration(SettingLimits.jobTimeout, "a duration between 1s and 1d, like 5m")
        case "attempts": settings.attempts = try value.whole(SettingLimits.jobAttempts, "a whole number of tries between 1 and 100")
        case "backoff": settings.backoff = try value.duration(SettingLimits.jobBackoff, "a duration between 0 and 1d, like 10s")
        default:
            throw UserError(
                "unknown setting '\(key)' in \(value.origin); a job has schedule, enabled, time-zone, calendar, timeout, attempts, backoff")
        }
        jobs[job] = settings
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
            milliseconds <= Double(SettingLimits.longestDuration)
        else { return nil }
        return Int64(milliseconds.rounded(.towardZero))
    }
}
