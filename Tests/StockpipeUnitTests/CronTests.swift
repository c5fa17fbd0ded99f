import Foundation
import StockpipeCore
import StockpipeSchedule
import Testing

@Suite("Cron expressions")
struct CronTests {
    let newYork = TimeZone(identifier: "America/New_York")!
    let utc = TimeZone(identifier: "UTC")!

    func date(_ text: String, _ zone: TimeZone) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    func text(_ date: Date?, _ zone: TimeZone) -> String {
        guard let date else { return "never" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: date)
    }

    @Test(arguments: [
        ("*/15 * * * *", "2024-11-25 10:07", "2024-11-25 10:15 EST"),
        ("*/15 * * * *", "2024-11-25 10:15", "2024-11-25 10:30 EST"),
        ("0 9 * * MON-FRI", "2024-11-29 10:00", "2024-12-02 09:00 EST"),
        ("30 9-16/2 * * 1-5", "2024-11-25 12:00", "2024-11-25 13:30 EST"),
        ("0 0 13 * FRI", "2024-12-01 00:00", "2024-12-06 00:00 EST"),  // a Friday, not the 13th: either matches
        ("0 0 13 * FRI", "2024-12-10 00:00", "2024-12-13 00:00 EST"),
        ("0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00 EST"),
        ("0 12 * JAN,jul SUN", "2024-11-25 00:00", "2025-01-05 12:00 EST"),
        ("0 0 * * 7", "2024-11-25 00:00", "2024-12-01 00:00 EST"),  // 7 is Sunday too
        ("5/20 * * * *", "2024-11-25 10:46", "2024-11-25 11:05 EST"),
        // 02:30 does not exist on the day clocks spring forward: the next is a day later.
        ("30 2 * * *", "2024-03-10 00:00", "2024-03-11 02:30 EDT"),
        // 01:30 happens twice when they fall back: it runs once.
        ("30 1 * * *", "2024-11-03 00:00", "2024-11-03 01:30 EDT"),
        ("30 1 * * *", "2024-11-03 01:31", "2024-11-04 01:30 EST"),
    ])
    func nextRunInNewYork(expression: String, after: String, expected: String) throws {
        let cron = try CronExpression(expression)
        #expect(text(cron.next(after: date(after, newYork), in: newYork), newYork) == expected)
    }

    @Test func aRepeatedLocalTimeRunsOnce() throws {
        let cron = try CronExpression("30 1 * * *")
        let first = try #require(cron.next(after: date("2024-11-03 00:00", newYork), in: newYork))
        let second = try #require(cron.next(after: first, in: newYork))
        #expect(second.timeIntervalSince(first) == 25 * 3_600, "the next day's 01:30, not the repeated hour's")
    }

    @Test func aDateThatNeverComesHasNoNextRun() throws {
        #expect(try CronExpression("0 0 30 2 *").next(after: date("2024-01-01 00:00", utc), in: utc) == nil)
    }

    @Test(arguments: [
        ("* * * *", CronError.fieldCount(expression: "* * * *", found: 4)),
        ("60 * * * *", .outOfRange(field: "minute", range: 0...59, example: nil, found: "60")),
        ("* 24 * * *", .outOfRange(field: "hour", range: 0...23, example: nil, found: "24")),
        ("5-1 * * * *", .backwardsRange(field: "minute", text: "5-1")),
        ("*/0 * * * *", .badStep(field: "minute", text: "*/0")),
        ("* * * * FUNDAY", .outOfRange(field: "day of week", range: 0...7, example: "MON", found: "FUNDAY")),
        ("* * * 13 *", .outOfRange(field: "month", range: 1...12, example: "FEB", found: "13")),
        ("1,,2 * * * *", .notAField(field: "minute", text: "")),
    ])
    func mistakesAreNamed(expression: String, mistake: CronError) {
        #expect(throws: mistake) { _ = try CronExpression(expression) }
    }

    /// The sentences users see in `jobs` errors.
    @Test func mistakesReadAsSentences() {
        #expect(
            CronError.outOfRange(field: "day of week", range: 0...7, example: "MON", found: "FUNDAY").description
                == #"day of week must be 0-7 or a name like MON, not "FUNDAY""#)
        #expect(
            CronError.fieldCount(expression: "* * * *", found: 4).description
                == #"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "* * * *" has 4"#)
    }
}

@Suite("Exchange calendars")
struct ExchangeCalendarTests {
    func closed(_ year: Int) -> [String] {
        var days: [String] = []
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var date = calendar.date(from: DateComponents(year: year, month: 1, day: 1))!
        while calendar.component(.year, from: date) == year {
            let parts = calendar.dateComponents([.month, .day, .weekday], from: date)
            if parts.weekday != 1, parts.weekday != 7, !ExchangeCalendar.nyse.isTradingDay(year: year, month: parts.month!, day: parts.day!) {
                days.append(String(format: "%02d-%02d", parts.month!, parts.day!))
            }
            date = calendar.date(byAdding: .day, value: 1, to: date)!
        }
        return days
    }

    /// The weekdays NYSE's published calendars list as closed (special closures aside).
    @Test func nyseHolidaysFollowThePublishedCalendars() {
        #expect(closed(2024) == ["01-01", "01-15", "02-19", "03-29", "05-27", "06-19", "07-04", "09-02", "11-28", "12-25"])
        // Juneteenth and Christmas on a Sunday: the Mondays; New Year's Day 2022 on a Saturday: not made up.
        #expect(closed(2022) == ["01-17", "02-21", "04-15", "05-30", "06-20", "07-04", "09-05", "11-24", "12-26"])
        // Independence Day on a Sunday, Christmas on a Saturday: Monday the 5th, Friday the 24th.
        #expect(closed(2027) == ["01-01", "01-18", "02-15", "03-26", "05-31", "06-18", "07-05", "09-06", "11-25", "12-24"])
    }

    @Test func nyseIsOpenFromHalfPastNineToFourNewYorkTime() throws {
        let formatter = ISO8601DateFormatter()
        func open(_ text: String) -> Bool { ExchangeCalendar.nyse.isOpen(at: formatter.date(from: text)!) }
        #expect(!open("2024-11-25T14:29:59Z"))  // 09:29:59 EST
        #expect(open("2024-11-25T14:30:00Z"))
        #expect(open("2024-11-25T20:59:00Z"))  // 15:59 EST
        #expect(!open("2024-11-25T21:00:00Z"))  // 16:00 EST
        #expect(open("2024-07-01T13:30:00Z"))  // 09:30 EDT
        #expect(!open("2024-11-23T15:00:00Z"))  // a Saturday
        #expect(!open("2024-11-28T15:00:00Z"))  // Thanksgiving
        #expect(ExchangeCalendar.always.isOpen(at: formatter.date(from: "2024-11-23T03:00:00Z")!))
        #expect(ExchangeCalendar.named("NASDAQ")?.name == "nyse" && ExchangeCalendar.named("lse") == nil)
    }
}
