import Foundation
import StockpipeCore
import StockpipeFinnhub

/// The Finnhub source's settings: the API key (`FINNHUB_TOKEN`, `finnhub.token-file`, or, discouraged,
/// `finnhub.token`) and `finnhub.*`.
///
/// ```yaml
/// source: finnhub
/// finnhub:
///   token-file: /run/secrets/finnhub
///   quote-interval: 60s
/// ```
public struct FinnhubSettings: SettingsSection {
    /// The Finnhub API key: `FINNHUB_TOKEN`, `finnhub.token-file`, or (discouraged) `finnhub.token`.
    public var token: FinnhubToken?
    public var webSocketURL = "wss://ws.finnhub.io"
    public var restURL = "https://finnhub.io/api/v1"
    /// The most symbols one connection carries on the plan.
    public var maxSymbols = 50
    /// Milliseconds without a message after which the connection is taken for stalled.
    public var stallTimeout: Int64 = 30_000
    /// How often each symbol's REST quote is polled (0: not at all), and the plan's call limits.
    public var quoteInterval: Int64 = 60_000
    public var callsPerMinute = 60
    public var callsPerSecond = 30
    /// A PEM certificate to trust for a local server with a self-signed one.
    public var caCertificate: String?

    public init() {}

    public static let keys = [
        "finnhub.token-file", "finnhub.token", "finnhub.ws-url", "finnhub.rest-url", "finnhub.max-symbols", "finnhub.stall-timeout",
        "finnhub.ca-certificate", "finnhub.quote-interval", "finnhub.calls-per-minute", "finnhub.calls-per-second",
    ]

    public mutating func apply(key: String, value: SettingValue) throws -> Bool {
        typealias L = SettingLimits
        switch key {
        case "finnhub.token": token = FinnhubToken(try value.nonEmpty("a Finnhub API key (better in FINNHUB_TOKEN)"))
        case "finnhub.token-file":
            guard let contents = try? String(contentsOfFile: value.text, encoding: .utf8), let read = FinnhubToken(contents) else {
                throw UserError(
                    "cannot read a Finnhub token from \(value.text) (finnhub.token-file in \(value.origin)); "
                        + "check the path and that it is not empty")
            }
            token = read
        case "finnhub.ws-url": webSocketURL = try value.nonEmpty("a WebSocket address, like wss://ws.finnhub.io")
        case "finnhub.rest-url": restURL = try value.nonEmpty("an address, like https://finnhub.io/api/v1")
        case "finnhub.max-symbols": maxSymbols = try value.whole(L.finnhubMaxSymbols, "a number of symbols between 1 and 10000")
        case "finnhub.stall-timeout": stallTimeout = try value.duration(L.finnhubStallTimeout, "a duration between 1s and 1d, like 30s")
        case "finnhub.ca-certificate": caCertificate = try value.nonEmpty("a PEM file")
        case "finnhub.quote-interval":
            quoteInterval = try value.duration(L.finnhubQuoteInterval, orZero: true, "a duration between 1s and 1d, like 60s, or 0")
        case "finnhub.calls-per-minute": callsPerMinute = try value.whole(L.callsPerMinute, "a number of calls between 1 and 1000000")
        case "finnhub.calls-per-second": callsPerSecond = try value.whole(L.callsPerSecond, "a number of calls between 1 and 100000")
        default: return false
        }
        return true
    }

    /// `FINNHUB_TOKEN`, Finnhub's own name for the key, as its documentation and other tools use it.
    mutating func applyEnvironment(_ environment: [String: String]) {
        if let given = environment["FINNHUB_TOKEN"].flatMap(FinnhubToken.init) { token = given }
    }

    public func validate() throws {
        guard token != nil else {
            throw UserError("--source finnhub needs a Finnhub API key: set FINNHUB_TOKEN, or finnhub.token-file in the configuration")
        }
    }

    /// Checks that `symbols` can be subscribed to on one connection; `anySymbol` is a `*`, which cannot.
    func validateSubscription(to symbols: [String], anySymbol: Bool) throws {
        guard !anySymbol else { throw UserError("--source finnhub needs the symbols to subscribe to (--symbols A,B), not *") }
        if symbols.count > maxSymbols {
            throw UserError(
                "\(symbols.count) symbols, but one Finnhub connection carries at most \(maxSymbols) on this plan; "
                    + "give fewer with --symbols, or raise finnhub.max-symbols if your plan allows more")
        }
    }

    /// The source's configuration subscribing to `symbols`; nil without an API key.
    public func configuration(subscribingTo symbols: [String]) -> FinnhubConfiguration? {
        guard let token else { return nil }
        var configuration = FinnhubConfiguration(token: token, symbols: symbols)
        configuration.webSocketURL = webSocketURL
        configuration.restURL = restURL
        configuration.maxSymbols = maxSymbols
        configuration.stallTimeout = .milliseconds(stallTimeout)
        configuration.trustedCertificate = caCertificate
        return configuration
    }
}
