/// A Finnhub problem the operator can act on; its text never holds the token.
///
/// The cases say what went wrong in Finnhub's terms; the command line adds which of its flags
/// fixes it.
public enum FinnhubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The trade stream was given no symbols, or `*`.
    case noSymbols
    /// More symbols than one connection carries on the plan.
    case tooManySymbols(count: Int, maximum: Int)
    /// `finnhub.ca-certificate` could not be read as PEM.
    case unreadableCertificate(reason: String)
    /// Finnhub refused a quote request with 401 or 403: the key, or the plan.
    case quoteRefused(status: Int, symbol: String)
    /// Finnhub refused a candle request with 401: the key.
    case candlesUnauthorized
    /// Finnhub refused a candle request with 403: candles are a premium endpoint.
    case candlesNotInPlan(symbol: String)
    /// Finnhub refused a candle request with another 4xx; `excerpt` is the start of its answer.
    case candlesRefused(symbol: String, status: Int, excerpt: String)
    /// Finnhub answered a candle request with something else (it answers some refusals with a 200
    /// and plain text); `excerpt` is the start of the answer.
    case notCandleData(symbol: String, excerpt: String)
    /// Finnhub answered a candle request with an error message.
    case candleAnswerError(symbol: String, message: String)
    /// Finnhub's candle answer had neither status `ok` nor `no_data`.
    case candleStatusMissing(symbol: String, excerpt: String)
    /// A window of candles failed `attempts` times in a row.
    case candlesUnavailable(symbol: String, attempts: Int, problem: String)
    /// The request did not reach Finnhub or its answer did not arrive (already without the token).
    case transport(String)

    public var description: String {
        switch self {
        case .noSymbols: "the Finnhub source needs the symbols to subscribe to"
        case .tooManySymbols(let count, let maximum):
            "\(count) symbols, but one Finnhub connection carries at most \(maximum) on this plan"
        case .unreadableCertificate(let reason): "cannot read the certificate in finnhub.ca-certificate: \(reason)"
        case .quoteRefused(let status, let symbol):
            "Finnhub refused the quote request (HTTP \(status)): check FINNHUB_TOKEN, and that your plan covers \(symbol)"
        case .candlesUnauthorized: "Finnhub refused the candle request (HTTP 401): check FINNHUB_TOKEN"
        case .candlesNotInPlan(let symbol):
            "Finnhub refused the candle request (HTTP 403): stock candles are a premium endpoint; "
                + "check that your plan includes them (and covers \(symbol))"
        case .candlesRefused(let symbol, let status, let excerpt):
            "Finnhub refused the candle request for \(symbol) (HTTP \(status)): \(excerpt)"
        case .notCandleData(let symbol, let excerpt):
            "Finnhub answered the candle request for \(symbol) with something that is not candle data: \(excerpt)"
        case .candleAnswerError(let symbol, let message): "Finnhub answered the candle request for \(symbol) with an error: \(message)"
        case .candleStatusMissing(let symbol, let excerpt):
            "Finnhub's candle answer for \(symbol) has no status \"ok\" or \"no_data\": \(excerpt)"
        case .candlesUnavailable(let symbol, let attempts, let problem):
            "the candles of \(symbol) could not be fetched after \(attempts) attempts: \(problem)"
        case .transport(let problem): problem
        }
    }
}
