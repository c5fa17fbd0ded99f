import Foundation

/// A standard 5-field cron expression: minute, hour, day of month, month, day of week.
///
/// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists `a,b`; months and days
/// also take names (`JAN`, `MON-FRI`), and Sunday is 0 or 7. As in Vixie cron, when both the day of
/// month and the day of week are restricted, a day matches if either does.
///
/// ```swift
/// let weekdays = try CronExpression("*/5 9-16 * * MON-FRI")
/// let next = weekdays.next(after: .now, in: TimeZone(identifier: "America/New_York")!)
/// ```
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 (Sunday) to 6.
    let daysOfWeek: Set<Int>
    let anyDayOfMonth: Bool
    let anyDayOfWeek: Bool

    public init(_ text: String) throws(CronError) {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw CronError.fieldCount(expression: text, found: fields.count)
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        hours = try Self.field(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31)
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames)
        daysOfWeek = Set(try Self.field(fields[4], name: "day of week", range: 0...7, names: Self.dayNames).map { $0 % 7 })
        anyDayOfMonth = fields[2] == "*" || fields[2] == "?"
        anyDayOfWeek = fields[4] == "*" || fields[4] == "?"
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String] = []) throws(CronError) -> Set<Int> {
        func value(_ part: Substring) throws(CronError) -> Int {
            if let number = Int(part), range.contains(number) { return number }
            if let index = names.firstIndex(of: part.uppercased()) { return index + (range.lowerBound == 1 ? 1 : 0) }
            throw CronError.outOfRange(field: name, range: range, example: names.isEmpty ? nil : names[1], found: String(part))
        }
        var values: Set<Int> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2, let base = stepParts.first, !base.isEmpty else { throw CronError.notAField(field: name, text: String(item)) }
            var step = 1
            if stepParts.count == 2 {
                guard let number = Int(stepParts[1]), number > 0 else { throw CronError.badStep(field: name, text: String(item)) }
                step = number
            }
            let bounds: ClosedRange<Int>
            if base == "*" || base == "?" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-") {
                let low = try value(base[..<dash])
                let high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw CronError.backwardsRange(field: name, text: String(base)) }
                bounds = low...high
            } else {
                let single = try value(base)
                // `5/15` means from 5 to the end in steps of 15, as most crons read it.
                bounds = stepParts.count == 2 ? single...range.upperBound : single...single
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    /// Whether a day (in the expression's calendar) is one the expression runs on.
    func matches(dayOfMonth: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (anyDayOfMonth, anyDayOfWeek) {
        case (true, true): return true
        case (false, true): return daysOfMonth.contains(dayOfMonth)
        case (true, false): return daysOfWeek.contains(weekday)
        case (false, false): return daysOfMonth.contains(dayOfMonth) || daysOfWeek.contains(weekday)
        }
    }

    /// The first time strictly after `date` that the expression matches, in `timeZone`; nil if
    /// none comes within five years (`0 0 30 2 *`). A local time skipped by a daylight-saving change
    /// does not run that day; a repeated one runs once, at its first occurrence.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        guard var day = calendar.dateInterval(of: .day, for: date)?.start else { return nil }
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday,
                matches(dayOfMonth: dayOfMonth, month: month, weekday: weekday - 1)
            {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        let wanted = DateComponents(year: year, month: month, day: dayOfMonth, hour: hour, minute: minute)
                        guard let candidate = calendar.date(from: wanted), candidate > date else { continue }
                        // A time that does not exist that day comes back moved; it is skipped.
                        let actual = calendar.dateComponents([.day, .hour, .minute], from: candidate)
                        if actual.day == dayOfMonth, actual.hour == hour, actual.minute == minute { return candidate }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }
}

/// What is wrong with a cron expression, naming the field (`minute`, `day of week`, ...).
public enum CronError: Error, Sendable, Equatable, CustomStringConvertible {
    case fieldCount(expression: String, found: Int)
    case outOfRange(field: String, range: ClosedRange<Int>, example: String?, found: String)
    case notAField(field: String, text: String)
    case badStep(field: String, text: String)
    case backwardsRange(field: String, text: String)

    public var description: String {
        switch self {
        case .fieldCount(let expression, let found):
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week), \"\(expression)\" has \(found)"
        case .outOfRange(let field, let range, let example, let found):
            "\(field) must be \(range.lowerBound)-\(range.upperBound)\(example.map { " or a name like \($0)" } ?? ""), not \"\(found)\""
        case .notAField(let field, let text): "\(field): \"\(text)\" is not a cron field"
        case .badStep(let field, let text): "\(field): the step in \"\(text)\" must be a whole number above 0"
        case .backwardsRange(let field, let text): "\(field): the range \"\(text)\" runs backwards"
        }
    }
}
