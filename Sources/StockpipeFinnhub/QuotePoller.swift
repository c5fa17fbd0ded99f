import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import StockpipeCore
import StockpipeJSON

/// Finnhub REST quotes as a source: `GET /quote` for each symbol in turn, every `interval`,
/// within one shared ``RateLimiter``. Each answer is staged as
/// `{"type":"quote","symbol":S,"data":BODY}` (or `"text"` when Finnhub answered with plain text),
/// so that validation sees exactly what came back.
public struct QuotePoller: FeedSource {
    public var configuration: FinnhubConfiguration
    public var interval: Duration
    /// Stop after this many rounds over the symbols (for `--drain`); nil polls until stopped.
    public var rounds: Int?
    public let limiter: RateLimiter

    public init(configuration: FinnhubConfiguration, interval: Duration, rounds: Int? = nil, limiter: RateLimiter) {
        self.configuration = configuration
        self.interval = interval
        self.rounds = rounds
        self.limiter = limiter
    }

    public var name: String { "finnhub:quotes" }

    public func open(at position: Int64?) throws -> any FeedReader {
        try configuration.checkSymbols()
        return QuotePollReader(poller: self, lifetime: .init(try FinnhubREST(configuration)), position: position ?? 0)
    }
}

struct QuotePollReader: FeedReader {
    /// Shuts the HTTP client down when the reader goes.
    final class Lifetime {
        let rest: FinnhubREST
        init(_ rest: FinnhubREST) { self.rest = rest }
        deinit {
            let rest = rest
            Task { await rest.shutdown() }
        }
    }

    let poller: QuotePoller
    let lifetime: Lifetime
    private(set) var position: Int64
    private var index = 0
    private var round = 0
    private var nextRound = ContinuousClock.now
    private var failures = 0
    private var warnedAboutLimit = false
    let logger = Logger(label: "stockpipe.finnhub")

    init(poller: QuotePoller, lifetime: Lifetime, position: Int64) {
        self.poller = poller
        self.lifetime = lifetime
        self.position = position
    }

    private var symbols: [String] { poller.configuration.symbols }

    mutating func next(maxMessages: Int) async throws -> [FeedMessageText]? {
        if let rounds = poller.rounds, round >= rounds { return nil }
        let now = ContinuousClock.now
        if index == 0 && nextRound > now {
            try? await Task.sleep(for: min(nextRound - now, .milliseconds(250)))
            return []
        }
        let wait = await poller.limiter.reserve()
        if wait > .zero {
            try? await Task.sleep(for: min(wait, .milliseconds(250)))
            return []
        }
        let symbol = symbols[index]
        guard let message = try await fetch(symbol) else { return [] }
        // From the round's first answer: a failed first call must not push the round back.
        if index == 0 { nextRound = now + poller.interval }
        index += 1
        if index == symbols.count {
            index = 0
            round += 1
        }
        position += 1
        return [FeedMessageText(bytes: message, label: "@\(position)")]
    }

    /// The staged message for one answer; nil when the call is to be made again later.
    private mutating func fetch(_ symbol: String) async throws -> [UInt8]? {
        let response: FinnhubREST.Answer
        do {
            response = try await lifetime.rest.get("/quote", query: [("symbol", symbol)])
        } catch {
            await retryLater("the quote of \(symbol) failed: \(error)")
            return nil
        }
        switch response.status {
        case 200:
            failures = 0
            return Self.message(symbol: symbol, body: lifetime.rest.configuration.token.redact(response.body))
        case 429:
            let wait = FinnhubREST.retryAfter(response.headers)
            await poller.limiter.pause(until: .now + wait)
            if !warnedAboutLimit {
                logger.warning("Finnhub's rate limit reached (429); waiting \(wait.components.seconds) s as it asks, then going on where it stopped")
                warnedAboutLimit = true
            }
            return nil
        case 401, 403:
            throw FinnhubError.quoteRefused(status: Int(response.status), symbol: symbol)
        default:
            await retryLater("Finnhub answered the quote of \(symbol) with HTTP \(response.status)")
            return nil
        }
    }

    private mutating func retryLater(_ problem: String) async {
        failures += 1
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(60))
        for _ in 0..<failures - 1 { _ = backoff.next() }
        let wait = backoff.next()
        logger.warning("\(problem); retrying in \(wait.milliseconds) ms")
        await poller.limiter.pause(until: .now + wait)
    }

    /// `{"type":"quote","symbol":S,"data":BODY}` when the body is a JSON object, else the body as `"text"`.
    static func message(symbol: String, body: [UInt8]) -> [UInt8] {
        let isObject = body.withUnsafeBytes { buffer -> Bool in
            var reader = JSONReader(buffer)
            guard reader.peekKind() == .object, (try? reader.skipValue()) != nil else { return false }
            return reader.isAtEnd()
        }
        var writer = JSONWriter(capacity: body.count + 64)
        writer.objectStart()
        writer.key("type"); writer.string("quote")
        writer.key("symbol"); writer.string(symbol)
        if isObject {
            var bytes = writer.bytes
            bytes += Array(#","data":"#.utf8) + body + [UInt8(ascii: "}")]
            return bytes
        }
        writer.key("text"); writer.string(String(decoding: body.prefix(4_096), as: UTF8.self))
        writer.objectEnd()
        return writer.bytes
    }
}
