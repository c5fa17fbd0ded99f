extension Duration {
    /// Whole milliseconds, rounded toward zero (1.9999 s is 1,999), clamped to `Int64`'s range.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        let (sum, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !overflow, !overflowAgain else { return seconds < 0 ? .min : .max }
        return sum
    }

    /// Seconds, sub-second part included.
    public var seconds: Double {
        self / .seconds(1)
    }
}
