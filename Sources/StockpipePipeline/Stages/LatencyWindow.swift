import Histogram

/// Ingest-to-store latencies of the trades stored lately, in two HdrHistograms of ``span`` each:
/// the one filling and the one before it, so quantiles always cover between one and two spans
/// (10 to 20 s) of trades, and an old spike leaves them within 20 s.
///
/// ```swift
/// var window = LatencyWindow()
/// window.record([12, 15, 240], at: now)
/// window.latency?.p99  // 240 ms, to three significant digits
/// ```
struct LatencyWindow {
    /// How long one histogram fills before it becomes the previous one.
    static let span: Int64 = 10_000
    /// Ages above this (a day, in ms) are counted as this: a trade staged a day before it was
    /// stored is an outage, and its exact age says nothing more.
    static let highest: UInt64 = 86_400_000

    private var current = Self.empty()
    private var previous = Self.empty()
    private var currentSince: Int64?
    private var lastRecorded: Int64?

    private static func empty() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: highest, numberOfSignificantValueDigits: .three)
    }

    /// Records the ages (ms) of the trades of one stored batch, stored at `now` (Unix ms).
    mutating func record(_ ages: [Int64], at now: Int64) {
        roll(to: now)
        for age in ages { _ = current.record(UInt64(clamping: min(max(0, age), Int64(Self.highest)))) }
        lastRecorded = now
    }

    /// The quantiles over both histograms; nil when nothing was stored in the last two spans.
    var latency: PipelineMetrics.Latency? {
        guard let lastRecorded else { return nil }
        var both = previous
        both.add(current)
        guard both.totalCount > 0 else { return nil }
        return PipelineMetrics.Latency(
            p50: .milliseconds(Int64(both.valueAtPercentile(50))), p99: .milliseconds(Int64(both.valueAtPercentile(99))),
            max: .milliseconds(Int64(both.max)), measuredAt: lastRecorded)
    }

    private mutating func roll(to now: Int64) {
        guard let since = currentSince else {
            currentSince = now
            return
        }
        guard now - since >= Self.span else { return }
        // A gap longer than two spans leaves nothing worth keeping.
        previous = now - since >= 2 * Self.span ? Self.empty() : current
        current = Self.empty()
        currentSince = now
    }
}
