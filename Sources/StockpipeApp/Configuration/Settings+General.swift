import StockpipeCore
import StockpipeDashboard
import StockpipePipeline

/// One entry of ``Settings/layout``: settings ``Settings`` reads itself, or a section's.
struct SettingsGroup {
    let keys: [String]
    /// Reads a key into the section (false when not its key); nil for the general settings.
    let apply: ((inout Settings, String, SettingValue) throws -> Bool)?

    /// Settings read by ``Settings/applyGeneral(key:value:)`` (and `jobs.*` by its job reader).
    static func general(_ keys: [String]) -> SettingsGroup {
        SettingsGroup(keys: keys, apply: nil)
    }

    /// The keys of the section at `path`, read by the section.
    static func section<Section: SettingsSection>(_ path: WritableKeyPath<Settings, Section>) -> SettingsGroup {
        SettingsGroup(keys: Section.keys) { settings, key, value in try settings[keyPath: path].apply(key: key, value: value) }
    }
}

extension Settings {
    /// Every setting, in the order `unknown setting` lists them: the general ones and each section's.
    /// A new section is one `.section(\.name)` here.
    static var layout: [SettingsGroup] {
        [
            .general(["data-dir", "log"]), .section(\.kafka), .general(["store"]), .section(\.cassandra),
            .general([
                "source", "file", "symbols", "rate", "limit", "seed", "bad-fraction", "host", "port", "dashboard", "dashboard-token",
                "metrics-port", "metrics-host",
                "batch-size", "validation.max-future-skew", "validation.max-age", "validation.price-jump-percent",
                "validation.max-price", "validation.max-volume", "validation.price-jump-window", "validation.symbol-pattern",
            ]),
            .section(\.embedded), .section(\.finnhub),
            .general([
                "retention.store", "scheduler",
                "jobs.<job>.schedule", "jobs.<job>.enabled", "jobs.<job>.time-zone", "jobs.<job>.calendar", "jobs.<job>.timeout",
                "jobs.<job>.attempts", "jobs.<job>.backoff",
                "quality.freshness", "quality.max-quarantine-percent", "quality.window", "quality.max-gap-minutes", "quality.calendar",
            ]),
        ]
    }

    /// Reads one of the general settings (no section's, no job's).
    mutating func applyGeneral(key: String, value: SettingValue) throws {
        typealias L = SettingLimits
        let text = value.text
        switch key {
        case "data-dir": dataDirectory = try value.nonEmpty("a directory, like ./stockpipe-data")
        case "log":
            guard let kind = LogKind(rawValue: text) else { throw value.fail("embedded or kafka") }
            log = kind
        case "store":
            guard let kind = StoreKind(rawValue: text) else { throw value.fail("embedded or cassandra") }
            store = kind
        case "source":
            guard let kind = SourceKind(rawValue: text) else { throw value.fail("one of simulator, replay, finnhub") }
            source = kind
            sourceChosen = true
        case "file": file = try value.nonEmpty("an NDJSON file of Finnhub messages")
        case "symbols":
            let list = (value.given as? [Any])?.map(SettingValue.text(of:)) ?? text.split(separator: ",").map(String.init)
            let given = list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !given.isEmpty else { throw value.fail("at least one symbol, like AAPL,MSFT, or * to allow any") }
            symbols = given
        case "rate": rate = try value.number(L.rate, above: true, "a number of trades per second above 0 and at most 1000000")
        case "limit": limit = try value.whole(0...Int.max, "a whole number of records, 0 or more")
        case "seed":
            guard let number = UInt64(text) else { throw value.fail("a whole number from 0 to 18446744073709551615") }
            seed = number
        case "bad-fraction":
            let fraction = try value.number(0...1, "a fraction between 0 and 1, like 0.05")
            badFraction = fraction == 0 ? 0 : fraction  // -0 is 0 (and shown as 0.0 %)
        case "port": port = try value.whole(0...65_535, "a port number between 0 (any free port) and 65535")
        case "host": host = try value.nonEmpty("an address to listen on, like 127.0.0.1")
        case "metrics-port":
            // Off unless set: empty or `off` turns it off again (a Compose default can be unset in .env).
            if text.isEmpty || text == "off" { metricsPort = nil; break }
            metricsPort = try value.whole(0...65_535, "a port number between 0 (any free port) and 65535, or off")
        case "metrics-host": metricsHost = try value.nonEmpty("an address to listen on, like 127.0.0.1")
        case "dashboard-token":
            // Surrounding whitespace is not part of it (the newline of `$(cat file)` or an editor's). Never shown.
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { dashboardToken = nil; break }
            if let problem = DashboardConfiguration.tokenProblem(token) { throw UserError("\(value.subject) \(problem)") }
            dashboardToken = token
        case "dashboard": dashboard = try value.flag()
        case "batch-size": batchSize = try value.whole(L.batchSize, "a whole number between 1 and 100000")
        case "validation.max-future-skew":
            validation.maxFutureSkew = try value.duration(L.maxFutureSkew, "a duration between 0 and 1d, like 60s")
        case "validation.max-age": validation.maxAge = try value.duration(L.maxAge, "a duration between 1s and 3650d, like 7d")
        case "validation.price-jump-window":
            validation.priceJumpWindow = try value.duration(L.priceJumpWindow, "a duration between 1s and 7d, like 15m")
        case "validation.price-jump-percent":
            validation.priceJumpFraction =
                try value.number(L.priceJumpPercent, above: true, "a percentage above 0 and at most 10000, like 20") / 100
        case "validation.max-price":
            validation.maxPrice = try value.number(L.maxPrice, above: true, "a price above 0 and at most 1e12, like 1e9")
        case "validation.max-volume":
            validation.maxVolume = try value.number(L.maxVolume, above: true, "a volume above 0 and at most 1e15, like 1e12")
        case "validation.symbol-pattern": validation.symbolPattern = try value.nonEmpty("a regular expression")
        case "retention.store":
            storeRetention = try value.duration(L.storeRetention, orZero: true, "a duration up to 36500d, like 90d, or 0 to keep everything")
        case "scheduler": scheduler = try value.flag()
        case "quality.freshness": quality.freshness = try value.duration(L.freshness, "a duration between 1s and 30d, like 5m")
        case "quality.window": quality.window = try value.duration(L.qualityWindow, "a duration between 1m and 30d, like 1h")
        case "quality.max-quarantine-percent":
            quality.maxQuarantinePercent = try value.number(0...100, "a percentage between 0 and 100")
        case "quality.max-gap-minutes":
            quality.maxGapMinutes = try value.whole(L.maxGapMinutes, "a whole number of minutes between 0 and 43200")
        case "quality.calendar": quality.calendar = try value.nonEmpty("nyse or always").lowercased()
        default:
            throw UserError("unknown setting '\(key)' in \(value.origin); known settings: \(Self.keys.joined(separator: ", "))")
        }
    }
}
