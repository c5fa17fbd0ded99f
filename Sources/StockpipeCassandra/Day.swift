import StockpipeCore

/// Partitions are per UTC day, named `YYYY-MM-DD` so that they read well in cqlsh and sort by
/// time as text.
enum Day {
    static let length: Int64 = 86_400_000

    /// Days since 1970-01-01 of a Unix-millisecond time (also before 1970).
    static func number(of milliseconds: Int64) -> Int64 { TimeText.dayNumber(of: milliseconds) }

    static func text(of milliseconds: Int64) -> String { text(number: number(of: milliseconds)) }

    static func text(number: Int64) -> String { TimeText.isoDate(dayNumber: number) }
}
