import StockpipeCore

/// The time of the stream being validated, so that `timestamp_in_future` holds on history too.
///
/// A replay of last week is all in the wall clock's past, so the wall clock alone cannot tell a
/// trade stamped two days ahead of its neighbours. The clock is the latest timestamp judged in time,
/// moved on by the wall time that passed since (so a quiet live stream keeps up with the wall
/// clock). A trade stamped beyond it by more than the skew is either a gap in the stream (a night,
/// a weekend, an outage) or a bad timestamp; the trades after it decide: a gap is confirmed when
/// three quarters of the next ``evidenceCount`` trades are as late, so that a burst of a few bad
/// timestamps (three in one message) cannot confirm itself. A bad timestamp is never accepted, so it
/// cannot move the clock, and no single record can switch the rule off for the records after it.
public struct StreamClock: Sendable, Equatable {
    /// The latest timestamp judged in time, and the wall time (receipt) when it was.
    public private(set) var latest: Int64?
    private var receivedAt: Int64?

    public init() {}

    /// Trades after a candidate that are asked for.
    public static let evidenceCount = 16

    /// The stream's time at `receivedAt`; nil before the first trade.
    public func now(receivedAt: Int64) -> Int64? {
        guard let latest else { return nil }
        guard let anchor = self.receivedAt else { return latest }
        return latest.addingClamped(max(0, receivedAt.subtractingClamped(anchor)))
    }

    /// Whether `timestamp` must be confirmed by the trades after it: it is beyond the stream's time
    /// plus the skew, or it is the first trade (nothing to compare it with yet).
    func isAhead(_ timestamp: Int64, receivedAt: Int64, skew: Int64) -> Bool {
        guard let now = now(receivedAt: receivedAt) else { return true }
        return timestamp > now.addingClamped(skew)
    }

    /// A jump to `timestamp` is real when at least three quarters of the trades after it are at
    /// most `skew` earlier; with no trade after it, the wall clock alone has judged it.
    static func confirms(_ later: [Int64], jumpTo timestamp: Int64, skew: Int64) -> Bool {
        guard !later.isEmpty else { return true }
        let floor = timestamp.addingClamped(-skew)
        return later.filter { $0 >= floor }.count * 4 >= later.count * 3
    }

    mutating func advance(to timestamp: Int64, receivedAt: Int64) {
        guard timestamp > latest ?? .min else {
            if self.receivedAt == nil { self.receivedAt = receivedAt }
            return
        }
        latest = timestamp
        self.receivedAt = receivedAt
    }

    /// Takes up a timestamp committed earlier (a price reference): the clock is at least there.
    mutating func resume(latest timestamp: Int64) {
        guard timestamp > latest ?? .min else { return }
        latest = timestamp
        receivedAt = nil
    }
}

extension Int64 {
    /// `self + other`, held at the ends of the range: times and durations from outside must not trap.
    func addingClamped(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    func subtractingClamped(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }
}
