import Foundation
import StockpipeCore
import StockpipeJSON
import StockpipeSchedule

/// The data-quality report: is every symbol fresh while the market is open, is the quarantine
/// rate under its threshold, and do the 1-minute candles have holes. Made by the `quality-report`
/// job and by `stockpipe quality-report`, kept in the store, shown by `status`, the API and `/metrics`.
///
/// ```swift
/// let report = try await QualityReport.make(store, settings: QualitySettings(), now: WallClock.milliseconds())
/// if !report.ok { print(report.breaches.joined(separator: "\n")) }
/// ```
public struct QualityReport: Codable, Sendable, Equatable {
    public struct SymbolQuality: Codable, Sendable, Equatable {
        public var symbol: String
        /// Unix ms of its last trade.
        public var lastUpdate: Int64
        public var ageMs: Int64
        /// Older than the freshness threshold while the market is open.
        public var stale: Bool
        /// Open-market minutes without a candle between its first and last candle of the window.
        public var gapMinutes: Int
    }

    public struct Thresholds: Codable, Sendable, Equatable {
        public var freshnessMs: Int64
        public var maxQuarantinePercent: Double
        public var maxGapMinutes: Int
        public var windowMs: Int64
        public var calendar: String
    }

    public var generatedAt: Int64
    public var marketOpen: Bool
    public var thresholds: Thresholds
    /// Over the window: trades accepted (by trade time) and records quarantined.
    public var accepted: Int64
    public var quarantined: Int64
    public var quarantinePercent: Double
    public var symbols: [SymbolQuality]
    /// Each broken threshold, in words.
    public var breaches: [String]

    public var ok: Bool { breaches.isEmpty }
    public var staleSymbols: Int { symbols.filter(\.stale).count }
    public var gapMinutes: Int { symbols.reduce(0) { $0 + $1.gapMinutes } }

    public static func make(_ store: any Store, settings: QualitySettings, now: Int64) async throws -> QualityReport {
        let calendar = ExchangeCalendar.named(settings.calendar) ?? .always
        let marketOpen = calendar.isOpen(at: Date(milliseconds: now))
        let from = now - settings.window
        let buckets = try await store.qualityHistory(from: from, bucket: 60_000)
        let accepted = buckets.reduce(0) { $0 + $1.accepted }
        let quarantined = buckets.reduce(0) { $0 + $1.quarantinedRecords }
        let percent = accepted + quarantined > 0 ? Double(quarantined) / Double(accepted + quarantined) * 100 : 0
        var symbols: [SymbolQuality] = []
        for summary in try await store.symbolSummaries(window: 60_000, sparkline: 0) {
            let age = max(0, now - summary.lastUpdate)
            let candles = try await store.candles(symbol: summary.symbol, from: from - from % 60_000, to: now)
            var gaps = 0
            for (earlier, later) in zip(candles, candles.dropFirst()) {
                var minute = earlier.start + 60_000
                while minute < later.start {
                    if calendar.isOpen(at: Date(milliseconds: minute)) { gaps += 1 }
                    minute += 60_000
                }
            }
            symbols.append(
                SymbolQuality(
                    symbol: summary.symbol, lastUpdate: summary.lastUpdate, ageMs: age,
                    stale: marketOpen && age > settings.freshness, gapMinutes: gaps))
        }
        var breaches: [String] = []
        for symbol in symbols where symbol.stale {
            breaches.append("stale: \(symbol.symbol) last traded \(Self.words(symbol.ageMs)) ago (limit \(Self.words(settings.freshness)))")
        }
        if percent > settings.maxQuarantinePercent {
            breaches.append(
                String(
                    format: "quarantine rate %.2f%% over the last %@ (limit %g%%)", percent, Self.words(settings.window),
                    settings.maxQuarantinePercent))
        }
        for symbol in symbols where symbol.gapMinutes > settings.maxGapMinutes {
            breaches.append(
                "gaps: \(symbol.symbol) has \(symbol.gapMinutes) open-market minutes without trades in the last "
                    + "\(Self.words(settings.window)) (limit \(settings.maxGapMinutes))")
        }
        return QualityReport(
            generatedAt: now, marketOpen: marketOpen,
            thresholds: Thresholds(
                freshnessMs: settings.freshness, maxQuarantinePercent: settings.maxQuarantinePercent,
                maxGapMinutes: settings.maxGapMinutes, windowMs: settings.window, calendar: calendar.name),
            accepted: accepted, quarantined: quarantined, quarantinePercent: percent, symbols: symbols, breaches: breaches)
    }

    /// One line for the run history and the CLI.
    public var summary: String {
        let head =
            "\(symbols.count) symbols, \(staleSymbols) stale, \(gapMinutes) gap minutes, "
            + String(format: "%.2f%% quarantined", quarantinePercent)
        return ok ? head + ": ok" : head + ": \(breaches.count) threshold\(breaches.count == 1 ? "" : "s") broken"
    }

    public func json() -> String {
        (try? JSONOutput.string(document)) ?? "{}"
    }

    /// The report as `status --json`, `/api/v1/quality` and the store show it.
    public var document: Document { Document(self) }

    public init(json: String) throws {
        self = try JSONDecoder().decode(Document.self, from: Data(json.utf8)).report
    }

    init(
        generatedAt: Int64, marketOpen: Bool, thresholds: Thresholds, accepted: Int64, quarantined: Int64, quarantinePercent: Double,
        symbols: [SymbolQuality], breaches: [String]
    ) {
        self.generatedAt = generatedAt
        self.marketOpen = marketOpen
        self.thresholds = thresholds
        self.accepted = accepted
        self.quarantined = quarantined
        self.quarantinePercent = quarantinePercent
        self.symbols = symbols
        self.breaches = breaches
    }

    /// The report with `ok` spelled out, as users read it.
    public struct Document: Codable, Sendable {
        public var report: QualityReport
        public init(_ report: QualityReport) { self.report = report }
        enum Keys: String, CodingKey { case ok }
        public init(from decoder: any Decoder) throws { report = try QualityReport(from: decoder) }
        public func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(report.ok, forKey: .ok)
        }
    }

    /// `90s` → "1m 30s", `3_600_000` → "1h".
    public static func words(_ milliseconds: Int64) -> String {
        let seconds = milliseconds / 1_000
        if seconds >= 86_400, seconds % 3_600 == 0 { return seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : "\(seconds / 3_600)h" }
        if seconds >= 3_600 { return seconds % 3_600 == 0 ? "\(seconds / 3_600)h" : "\(seconds / 3_600)h \(seconds % 3_600 / 60)m" }
        if seconds >= 60 { return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds / 60)m \(seconds % 60)s" }
        return "\(seconds)s"
    }
}

extension Date {
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1_000) }
}

/// The thresholds of the data-quality report: `quality.*` in the configuration file.
public struct QualitySettings: Sendable, Equatable {
    /// A symbol whose last trade is older than this while the market is open is stale.
    public var freshness: Int64 = 5 * 60_000
    /// The most records quarantined over the window, as a percentage of all validated.
    public var maxQuarantinePercent: Double = 5
    /// How far back the rate and the gaps are measured.
    public var window: Int64 = 60 * 60_000
    /// The most open-market minutes without a candle, per symbol, over the window.
    public var maxGapMinutes = 5
    /// Freshness and gaps count only while this exchange is open (`always` for crypto and the simulator).
    public var calendar = "always"

    public init() {}
}
