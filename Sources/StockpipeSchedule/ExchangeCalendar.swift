import Foundation

/// When an exchange trades: its regular session in its own time zone, weekends off, and its
/// holidays by rule. Jobs such as the freshness check only mean something while it is open.
///
/// ```swift
/// let nyse = ExchangeCalendar.nyse
/// nyse.isOpen(at: .now)      // 09:30-16:00 New York time on a trading day
/// ```
public struct ExchangeCalendar: Sendable {
    public let name: String
    public let timeZone: TimeZone
    /// Minutes after local midnight: the session is [open, close).
    public let open: Int
    public let close: Int
    /// Days (in the exchange's time zone) closed besides weekends and the rules: special closures.
    public var closedDays: Set<DateComponents> = []
    let holidays: @Sendable (Int) -> Set<DateComponents>

    /// NYSE and Nasdaq: 09:30-16:00 America/New_York; New Year's Day, Martin Luther King Jr. Day,
    /// Washington's Birthday, Good Friday, Memorial Day, Juneteenth (from 2022), Independence Day,
    /// Labor Day, Thanksgiving and Christmas, moved to the Friday before or the Monday after when
    /// they fall on a weekend (except New Year's Day on a Saturday, which is not made up). Early
    /// closes (13:00 on some days before holidays) count as open.
    public static let nyse = ExchangeCalendar(
        name: "nyse", timeZone: TimeZone(identifier: "America/New_York")!, open: 9 * 60 + 30, close: 16 * 60,
        holidays: nyseHolidays)

    /// Every day, all day: crypto markets.
    public static let always = ExchangeCalendar(
        name: "always", timeZone: TimeZone(identifier: "UTC")!, open: 0, close: 24 * 60,
        holidays: { _ in [] }, weekends: false)

    let tradesOnWeekends: Bool

    init(
        name: String, timeZone: TimeZone, open: Int, close: Int, holidays: @escaping @Sendable (Int) -> Set<DateComponents>,
        weekends: Bool = true
    ) {
        self.name = name
        self.timeZone = timeZone
        self.open = open
        self.close = close
        self.holidays = holidays
        tradesOnWeekends = !weekends
    }

    /// `nyse` (also `nasdaq`) or `always`.
    public static func named(_ name: String) -> ExchangeCalendar? {
        switch name.lowercased() {
        case "nyse", "nasdaq": .nyse
        case "always": .always
        default: nil
        }
    }

    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Whether the exchange trades on the local day `year-month-day`.
    public func isTradingDay(year: Int, month: Int, day: Int) -> Bool {
        let key = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: key) else { return false }
        let weekday = calendar.component(.weekday, from: date)
        if !tradesOnWeekends && (weekday == 1 || weekday == 7) { return false }
        return !holidays(year).contains(key) && !closedDays.contains(key)
    }

    public func isOpen(at date: Date) -> Bool {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute,
            isTradingDay(year: year, month: month, day: day)
        else { return false }
        let minutes = hour * 60 + minute
        return minutes >= open && minutes < close
    }
}

extension ExchangeCalendar {
    @Sendable static func nyseHolidays(_ year: Int) -> Set<DateComponents> {
        var days: Set<DateComponents> = []
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func day(_ month: Int, _ day: Int) -> DateComponents { DateComponents(year: year, month: month, day: day) }
        /// Only year, month and day, so that it equals the keys looked up.
        func plain(_ date: Date) -> DateComponents {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return DateComponents(year: parts.year, month: parts.month, day: parts.day)
        }
        func weekday(_ month: Int, _ day: Int) -> Int {
            calendar.component(.weekday, from: calendar.date(from: DateComponents(year: year, month: month, day: day))!)
        }
        /// The `n`th `weekday` (1 = Sunday) of a month; n = -1 for the last.
        func nth(_ n: Int, _ wanted: Int, of month: Int) -> DateComponents {
            if n > 0 {
                let first = weekday(month, 1)
                return day(month, 1 + (wanted - first + 7) % 7 + 7 * (n - 1))
            }
            let length = calendar.range(of: .day, in: .month, for: calendar.date(from: day(month, 1))!)!.count
            let last = weekday(month, length)
            return day(month, length - (last - wanted + 7) % 7)
        }
        /// A fixed-date holiday on a Saturday is kept on the Friday, on a Sunday on the Monday.
        func observed(_ month: Int, _ date: Int) -> DateComponents {
            let shifted = calendar.date(from: day(month, date))!
            switch weekday(month, date) {
            case 7: return plain(calendar.date(byAdding: .day, value: -1, to: shifted)!)
            case 1: return plain(calendar.date(byAdding: .day, value: 1, to: shifted)!)
            default: return day(month, date)
            }
        }
        if weekday(1, 1) != 7 { days.insert(observed(1, 1)) }
        days.insert(nth(3, 2, of: 1))  // Martin Luther King Jr. Day
        days.insert(nth(3, 2, of: 2))  // Washington's Birthday
        let easter = easterSunday(year)
        let goodFriday = calendar.date(byAdding: .day, value: -2, to: calendar.date(from: easter)!)!
        days.insert(plain(goodFriday))
        days.insert(nth(-1, 2, of: 5))  // Memorial Day
        if year >= 2022 { days.insert(observed(6, 19)) }
        days.insert(observed(7, 4))
        days.insert(nth(1, 2, of: 9))  // Labor Day
        days.insert(nth(4, 5, of: 11))  // Thanksgiving
        days.insert(observed(12, 25))
        return days
    }

    /// Easter Sunday in the Gregorian calendar (the anonymous algorithm of Meeus, Jones and Butcher).
    static func easterSunday(_ year: Int) -> DateComponents {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return DateComponents(year: year, month: month, day: day)
    }
}
