import ArgumentParser
import Foundation
import StockpipeApp
import StockpipeCore
import StockpipeFinnhub
import StockpipePipeline

struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Fetch 1-minute candles from Finnhub (/stock/candle, a premium endpoint) for minutes no stored trade covers, "
            + "so that charts have history from before the feed ran.",
        discussion: """
            Needs a Finnhub token (FINNHUB_TOKEN, finnhub.token or finnhub.token-file). Candles built from stored trades are \
            never replaced; a backfilled minute gives way to the trades of that minute as soon as they are stored. \
            Backfilled candles show "backfilled": true and have no VWAP. Calls share the REST rate limits of finnhub.*.
            """)

    @OptionGroup var common: CommonOptions
    @Option(help: ArgumentHelp("Comma-separated symbols (default: the configured symbols).", valueName: "A,B")) var symbols: String?
    @Option(help: ArgumentHelp("From this time: Unix ms, ISO 8601 or YYYY-MM-DD (default: a day ago).", valueName: "T")) var from: String?
    @Option(help: ArgumentHelp("Up to this time (default: now).", valueName: "T")) var to: String?

    func run() async throws {
        let settings = try common.settings { settings in
            if let symbols { try settings.apply(flag: "symbols", value: symbols) }
        }
        guard var finnhub = settings.finnhubConfiguration else {
            throw UserError("backfill fetches from Finnhub and needs a token: set FINNHUB_TOKEN, finnhub.token or finnhub.token-file")
        }
        finnhub.maxSymbols = .max
        try finnhub.checkSymbols()
        let now = WallClock.milliseconds()
        let to = try parseTime(to, flag: "--to") ?? now
        let from = try parseTime(from, flag: "--from") ?? (to - 86_400_000)
        guard from <= to else { throw UserError("--from must not be after --to") }
        try common.checkpoint("backfill 1-minute candles of \(finnhub.symbols.count) symbols from Finnhub (\(settings.backendsSummary))")
        let backfill = CandleBackfill(
            configuration: finnhub,
            limiter: RateLimiter(perSecond: settings.finnhub.callsPerSecond, perMinute: settings.finnhub.callsPerMinute))
        let backends = try await Backends.open(settings, create: true)
        var total = BackfillResult()
        do {
            for symbol in finnhub.symbols {
                let fetched = try await backfill.fetch(symbol: symbol, from: from, to: to)
                let stored = try await backends.store.backfill(fetched.candles)
                total.inserted += stored.inserted
                total.replaced += stored.replaced
                total.keptFromTrades += stored.keptFromTrades
                var line =
                    "\(symbol): \(fetched.candles.count) candles from Finnhub; \(stored.inserted) new, \(stored.replaced) refreshed, "
                    + "\(stored.keptFromTrades) minutes kept as built from trades"
                if !fetched.rejected.isEmpty {
                    line +=
                        "; not stored: "
                        + fetched.rejected.sorted { $0.key.rawValue < $1.key.rawValue }
                        .map { "\($1) \($0.rawValue)" }.joined(separator: ", ")
                }
                if fetched.candles.isEmpty && fetched.emptyWindows > 0 { line += " (Finnhub has no data for it in this range)" }
                if fetched.rateLimited > 0 { line += "; \(fetched.rateLimited) rate-limit answers waited out" }
                print(line)
            }
        } catch {
            await backends.close()
            throw error
        }
        await backends.close()
        say(
            "backfilled \(total.inserted + total.replaced) minutes of \(finnhub.symbols.count) symbols "
                + "from \(formatTime(from)) to \(formatTime(to))")
    }
}
