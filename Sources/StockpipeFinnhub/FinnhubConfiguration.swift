import StockpipeCore

/// Where Finnhub is and what a plan allows. The defaults are the real service and the free plan.
public struct FinnhubConfiguration: Sendable {
    public var token: FinnhubToken
    /// The trade stream; the token goes in its query, as Finnhub requires, and nowhere it is logged.
    public var webSocketURL = "wss://ws.finnhub.io"
    /// The REST API root; the token goes in the `X-Finnhub-Token` header.
    public var restURL = "https://finnhub.io/api/v1"
    public var symbols: [String]
    /// Symbols one WebSocket connection may subscribe (50 on the free plan).
    public var maxSymbols = 50
    /// No message at all (Finnhub pings every few seconds) for this long means a dead connection.
    public var stallTimeout: Duration = .seconds(30)
    /// A PEM certificate to trust besides the system's: for a local server with a self-signed one.
    public var trustedCertificate: String?

    public init(token: FinnhubToken, symbols: [String]) {
        self.token = token
        self.symbols = symbols
    }

    /// Symbols over the plan's limit are refused up front, in words, rather than by the server.
    public func checkSymbols() throws(FinnhubError) {
        if symbols.isEmpty || symbols == ["*"] {
            throw FinnhubError.noSymbols
        }
        if symbols.count > maxSymbols {
            throw FinnhubError.tooManySymbols(count: symbols.count, maximum: maxSymbols)
        }
    }
}
