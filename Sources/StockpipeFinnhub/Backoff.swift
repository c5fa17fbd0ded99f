import StockpipeCore

/// Exponential backoff with full jitter: attempt n waits a random time up to
/// `min(maximum, initial * 2^n)`, so that many clients dropped at once do not return at once.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    private(set) var attempt = 0

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait before the next attempt, counting it.
    public mutating func next() -> Duration {
        let ceiling = min(maximum, initial * (1 << min(attempt, 20)))
        attempt += 1
        let fraction = Double.random(in: 0.5...1)
        return ceiling * fraction
    }

    /// After a connection that worked, start again from the shortest wait.
    public mutating func reset() {
        attempt = 0
    }
}
