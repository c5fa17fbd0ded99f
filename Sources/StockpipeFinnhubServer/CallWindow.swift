import Synchronization

/// Counts REST calls in the last second and the last minute, as Finnhub's limits do.
final class CallWindow: Sendable {
    private let calls = Mutex<[Int64]>([])
    let perSecond: Int
    let perMinute: Int

    init(perSecond: Int, perMinute: Int) {
        self.perSecond = perSecond
        self.perMinute = perMinute
    }

    /// Records a call at `now` (Unix ms) if it is within the limits; otherwise how many seconds
    /// until it would be, and nothing is recorded.
    func admit(now: Int64) -> (admitted: Bool, remaining: Int, retryAfterSeconds: Int) {
        calls.withLock { calls in
            calls.removeAll { $0 <= now - 60_000 }
            let lastSecond = calls.reversed().prefix { $0 > now - 1_000 }.count
            if calls.count >= perMinute {
                let wait = (calls[calls.count - perMinute] + 60_000 - now + 999) / 1_000
                return (false, 0, Int(max(1, wait)))
            }
            if lastSecond >= perSecond { return (false, 0, 1) }
            calls.append(now)
            return (true, perMinute - calls.count, 0)
        }
    }
}
