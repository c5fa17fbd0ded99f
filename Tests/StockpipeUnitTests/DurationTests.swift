import StockpipeCore
import Testing

@testable import StockpipeCQL

/// Durations turned into the units the clients take.
@Suite("Durations")
struct DurationTests {
    @Test func millisecondsKeepTheSubSecondPartAndRoundTowardZero() {
        #expect(Duration.milliseconds(1_500).milliseconds == 1_500)
        #expect(Duration.seconds(2).milliseconds == 2_000)
        #expect(Duration.microseconds(1_999_999).milliseconds == 1_999)
        #expect(Duration.microseconds(999).milliseconds == 0)
        #expect(Duration.microseconds(-1_999_999).milliseconds == -1_999)
        #expect(Duration.zero.milliseconds == 0)
        #expect(Duration.seconds(Int64.max).milliseconds == Int64.max, "clamped, not trapped")
        #expect(Duration.seconds(Int64.min).milliseconds == Int64.min)
    }

    @Test func secondsKeepTheSubSecondPart() {
        #expect(Duration.milliseconds(1_500).seconds == 1.5)
        #expect(Duration.milliseconds(250).seconds == 0.25)
        #expect(Duration.seconds(90).seconds == 90)
    }

    /// The CQL connection used to schedule its handshake and request timeouts in whole seconds:
    /// 1.5 s became 1 s.
    @Test func cqlTimeoutsKeepTheSubSecondPart() {
        #expect(CQLConnection.timeAmount(.milliseconds(1_500)).nanoseconds == 1_500_000_000)
        #expect(CQLConnection.timeAmount(.milliseconds(250)).nanoseconds == 250_000_000)
        #expect(CQLConnection.timeAmount(.seconds(12)).nanoseconds == 12_000_000_000)
    }
}
