import StockpipeCore

/// Partitions are per UTC day, named `YYYY-MM-DD` so that they read well in cqlsh and sort by
/// time as text.
enum Day {
    static let length: Int64 = 86_400_000

    /// Days since 1970-01-01 of a Unix-millisecond time (also before 1970).
    static func number(of milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / length : -((-milliseconds + length - 1) / length)
    }

    static func text(of milliseconds: Int64) -> String { text(number: number(of: milliseconds)) }

    /// The civil date of a day number (Howard Hinnant's days-from-civil, inverted).
    static func text(number: Int64) -> String {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
