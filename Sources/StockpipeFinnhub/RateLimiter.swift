import StockpipeCore

/// One budget of REST calls for every symbol: at most `perSecond` in any second and `perMinute`
/// in any minute (Finnhub: 30 a second on every plan; 60 a minute on the free one), and none at
/// all while the server has asked us to wait (a 429).
public actor RateLimiter {
    public let perSecond: Int
    public let perMinute: Int
    private var calls: [ContinuousClock.Instant] = []
    private var pausedUntil: ContinuousClock.Instant?
    /// The windows are a little longer than Finnhub's: calls reach the server later than they leave,
    /// and unevenly, so spacing them by exactly a second lets two land in the same server second.
    static let second = Duration.milliseconds(1_100)
    static let minute = Duration.seconds(61)

    public init(perSecond: Int = 30, perMinute: Int = 60) {
        self.perSecond = max(1, perSecond)
        self.perMinute = max(1, perMinute)
    }

    /// Zero when a call may go now (and it is counted); otherwise how long until one may.
    public func reserve(now: ContinuousClock.Instant = .now) -> Duration {
        calls.removeAll { now - $0 >= Self.minute }
        if let pausedUntil, pausedUntil > now { return pausedUntil - now }
        if calls.count >= perMinute { return calls[calls.count - perMinute] + Self.minute - now }
        let lastSecond = calls.filter { now - $0 < Self.second }
        if lastSecond.count >= perSecond { return lastSecond[lastSecond.count - perSecond] + Self.second - now }
        calls.append(now)
        return .zero
    }

    /// No call until `instant` (the server said so).
    public func pause(until instant: ContinuousClock.Instant) {
        if instant > (pausedUntil ?? instant - .seconds(1)) { pausedUntil = instant }
    }
}
