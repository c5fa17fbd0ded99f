/// What the local Finnhub stand-in serves, and the faults it injects.
public struct FinnhubServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (see ``FinnhubServer/port``).
    public var port = 8090
    /// The only API key accepted; nil accepts any.
    public var token: String?
    public var seed: UInt64 = 1
    /// Simulated trades per second on each WebSocket connection.
    public var rate: Double = 200
    /// A PEM certificate and key: serve HTTPS and WSS instead of HTTP and WS.
    public var tls: (certificate: String, key: String)?
    public var faults = Faults()

    public struct Faults: Sendable {
        /// Close each WebSocket connection after this many messages.
        public var dropEvery: Int?
        /// Go silent (no trades, no pings) after this many messages on a connection, keeping it open.
        public var stallAfter: Int?
        /// Send a frame that is not JSON every this many messages.
        public var malformedEvery: Int?
        /// Subscriptions one connection may hold; past it the server answers with an error message.
        public var maxSymbols = 50
        /// REST calls allowed per second and per minute (Finnhub: 30 a second on every plan, 60 a
        /// minute on the free one); past them, 429.
        public var callsPerSecond = 30
        public var callsPerMinute = 60
        /// Answer the first this-many REST calls with 503, as a proxy in trouble does.
        public var unavailableFirst = 0
        /// Answer every this-many-th REST call with a 200 that is plain text, as Finnhub sometimes does.
        public var textEvery: Int?
        /// Answer every this-many-th REST call with a JSON error that echoes the request, key
        /// included, as some proxies and error pages do.
        public var echoEvery: Int?
        /// Answer `/stock/candle` with a 403, as Finnhub does for plans without it.
        public var candlesForbidden = false
        /// Make every this-many-th candle contradict itself (its high below its low).
        public var badCandleEvery: Int?
        /// Delay every REST answer by this much.
        public var slowResponses: Duration?

        public init() {}
    }

    public init() {}
}
