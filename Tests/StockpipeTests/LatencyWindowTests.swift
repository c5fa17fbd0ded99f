import Testing

@testable import StockpipePipeline

/// The pipeline panel's latency (issue 21, point 2): p50 always equalled p99 (20 of 20 samples)
/// while `/metrics` showed a spread from 5 to 250 ms, because both were taken from the last stored
/// batch alone, whose trades had been staged within moments of each other.
@Suite("Ingest-to-store latency quantiles")
struct LatencyWindowTests {
    static let now: Int64 = 1_764_000_000_000

    @Test func quantilesCoverEveryBatchStoredLatelyNotTheLastOne() throws {
        let metrics = PipelineMetrics()
        metrics.recordLatency(stagedAt: Array(repeating: Self.now - 10, count: 90), now: Self.now)
        metrics.recordLatency(stagedAt: Array(repeating: Self.now + 1_000 - 250, count: 10), now: Self.now + 1_000)
        let latency = try #require(metrics.latency)
        #expect(latency.p50 == .milliseconds(10))
        // HdrHistogram keeps three significant digits: 250 is counted in a bucket up to 250.
        #expect(latency.p99 >= .milliseconds(250) && latency.p99 <= .milliseconds(251), "\(latency.p99)")
        #expect(latency.max >= .milliseconds(250) && latency.max <= .milliseconds(251))
        #expect(latency.measuredAt == Self.now + 1_000)
    }

    @Test func aSpikeLeavesTheQuantilesWithinTwoSpans() throws {
        var window = LatencyWindow()
        window.record([5_000], at: Self.now)
        window.record([20], at: Self.now + LatencyWindow.span)
        // Still within the previous span.
        #expect(try #require(window.latency).max >= .milliseconds(5_000))
        window.record([20], at: Self.now + 2 * LatencyWindow.span)
        let latency = try #require(window.latency)
        #expect(latency.max == .milliseconds(20) && latency.p50 == .milliseconds(20))
        // After a long quiet, the old ones are gone too.
        window.record([30], at: Self.now + 10 * LatencyWindow.span)
        #expect(try #require(window.latency).p50 == .milliseconds(30))
    }

    @Test func extremeAgesAreCountedNotTrappedOn() throws {
        var window = LatencyWindow()
        window.record([-5, 0, Int64.max, Int64.min], at: Self.now)
        let latency = try #require(window.latency)
        #expect(latency.p50 == .zero)
        #expect(latency.max >= .milliseconds(Int64(LatencyWindow.highest)))
        #expect(LatencyWindow().latency == nil)
    }
}
