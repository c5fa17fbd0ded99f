extension TimeText {
    static let dayLength: Int64 = 86_400_000

    /// Days since 1970-01-01 of a Unix-millisecond time (also before 1970).
    public static func dayNumber(of milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / dayLength : -((-milliseconds + dayLength - 1) / dayLength)
    }

    /// `YYYY-MM-DD` of a day number (Howard Hinnant's days-from-civil, inverted): proleptic Gregorian, UTC.
    public static func isoDate(dayNumber: Int64) -> String {
        let (year, month, day) = civil(dayNumber)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// `2026-12-05T10:12:01.123Z`, exact to the millisecond and made with integers: through `Date`, a
    /// Double of seconds, .123 could come out as .122, and an export writes one for every row.
    public static func isoTime(_ milliseconds: Int64) -> String {
        let days = dayNumber(of: milliseconds)
        let inDay = milliseconds - days * dayLength
        return isoDate(dayNumber: days) + "T" + pad(inDay / 3_600_000, 2) + ":" + pad(inDay / 60_000 % 60, 2) + ":"
            + pad(inDay / 1_000 % 60, 2) + "." + pad(inDay % 1_000, 3) + "Z"
    }

    private static func civil(_ dayNumber: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = dayNumber + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
