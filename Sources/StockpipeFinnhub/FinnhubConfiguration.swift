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
    public func checkSymbols() throws {
        if symbols.isEmpty || symbols == ["*"] {
            throw FinnhubError("the Finnhub source needs the symbols to subscribe to; give them with --symbols A,B")
        }
        if symbols.count > maxSymbols {
            throw FinnhubError("\(symbols.count) symbols, but one Finnhub connection carries at most \(maxSymbols) on this plan; "
                               + "give fewer with --symbols, or raise finnhub.max-symbols if your plan allows more")
        }
    }
}

/// A Finnhub problem the operator can act on; its text never holds the token.
public struct FinnhubError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
