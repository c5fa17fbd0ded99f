import Logging
import StockpipeCore

/// One-minute candles from Finnhub's `/stock/candle` (a premium endpoint), fetched a week per
/// call within the shared ``RateLimiter``, to give the chart history from before the feed ran.
///
/// ```swift
/// let backfill = CandleBackfill(configuration: finnhub, limiter: RateLimiter())
/// let fetched = try await backfill.fetch(symbol: "AAPL", from: dayAgo, to: now)
/// _ = try await store.backfill(fetched.candles)
/// ```
public struct CandleBackfill: Sendable {
    public struct Fetched: Sendable {
        public var candles: [Candle] = []
        /// Candles Finnhub sent that were not stored, by the reason they were not.
        public var rejected: [ReasonCode: Int] = [:]
        /// Windows for which Finnhub had no data (`{"s":"no_data"}`).
        public var emptyWindows = 0
        /// 429 answers waited out.
        public var rateLimited = 0
    }

    public var configuration: FinnhubConfiguration
    public let limiter: RateLimiter
    /// The span of one call.
    public var window: Int64 = 7 * 86_400_000
    let logger = Logger(label: "stockpipe.finnhub")

    public init(configuration: FinnhubConfiguration, limiter: RateLimiter) {
        self.configuration = configuration
        self.limiter = limiter
    }

    /// The candles of `symbol` starting in [from, to] (Unix ms).
    public func fetch(symbol: String, from: Int64, to: Int64) async throws(FinnhubError) -> Fetched {
        let rest = try Self.client(configuration)
        defer { Task { await rest.shutdown() } }
        var fetched = Fetched()
        var windowStart = from
        while windowStart <= to {
            let windowEnd = min(to, windowStart + window - 1)
            let body = try await call(rest, symbol: symbol, from: windowStart, to: windowEnd, fetched: &fetched)
            var parsed = try CandleAnswer.parse(body, symbol: symbol, token: configuration.token)
            if parsed.noData { fetched.emptyWindows += 1 }
            parsed.check(now: WallClock.milliseconds())
            fetched.candles += parsed.candles.filter { $0.start >= from && $0.start <= to }
            for (reason, count) in parsed.rejected { fetched.rejected[reason, default: 0] += count }
            windowStart = windowEnd + 1
        }
        return fetched
    }

    private static func client(_ configuration: FinnhubConfiguration) throws(FinnhubError) -> FinnhubREST {
        do { return try FinnhubREST(configuration) } catch {
            throw FinnhubError.unreadableCertificate(reason: "\(error)")
        }
    }

    /// The body of a 200 for one window; waits out 429s and retries transient failures.
    private func call(
        _ rest: FinnhubREST, symbol: String, from: Int64, to: Int64,
        fetched: inout Fetched
    ) async throws(FinnhubError) -> [UInt8] {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(30))
        var failures = 0
        while true {
            let wait = await limiter.reserve()
            if wait > .zero {
                try? await Task.sleep(for: wait)
                continue
            }
            var problem = ""
            let answer: FinnhubREST.Answer
            do {
                answer = try await rest.get(
                    "/stock/candle",
                    query: [
                        ("symbol", symbol), ("resolution", "1"), ("from", String(from / 1_000)), ("to", String(to / 1_000)),
                    ])
            } catch {
                answer = .init(status: 0, headers: [:], body: [])
                problem = error.description
            }
            switch answer.status {
            case 0:
                break
            case 200:
                return answer.body
            case 429:
                fetched.rateLimited += 1
                let pause = FinnhubREST.retryAfter(answer.headers)
                logger.warning("Finnhub's rate limit reached (429); waiting \(pause.components.seconds) s as it asks")
                await limiter.pause(until: .now + pause)
                continue
            case 401:
                throw FinnhubError.candlesUnauthorized
            case 403:
                throw FinnhubError.candlesNotInPlan(symbol: symbol)
            case 400..<500:
                throw FinnhubError.candlesRefused(
                    symbol: symbol, status: answer.status,
                    excerpt: CandleAnswer.excerpt(answer.body, token: configuration.token))
            default:
                problem = "HTTP \(answer.status)"
            }
            failures += 1
            guard failures < 5 else {
                throw FinnhubError.candlesUnavailable(symbol: symbol, attempts: failures, problem: problem)
            }
            let pause = backoff.next()
            logger.warning("the candles of \(symbol) failed (\(problem)); retrying in \(pause.components.seconds) s")
            try? await Task.sleep(for: pause)
        }
    }
}
