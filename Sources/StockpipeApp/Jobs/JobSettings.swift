import Foundation
import StockpipeCore
import StockpipePipeline
import StockpipeSchedule

/// How one job is scheduled: `jobs.NAME.*` in the configuration file.
///
/// ```yaml
/// jobs:
///   quality-report:
///     schedule: "*/5 9-16 * * 1-5"   # cron (5 fields), or an interval: every 1m
///     time-zone: America/New_York
///     calendar: nyse                  # runs only while NYSE is open; always, or none
///     timeout: 2m
///     attempts: 3
///     backoff: 10s
/// ```
public struct JobSettings: Sendable, Equatable {
    public var enabled = true
    /// `every DURATION`, or a 5-field cron expression.
    public var schedule: String
    public var timeZone = "UTC"
    /// An exchange calendar (`nyse`, `always`); nil runs regardless of market hours.
    public var calendar: String?
    public var timeout: Int64 = 300_000
    public var attempts = 3
    public var backoff: Int64 = 10_000

    public init(schedule: String, enabled: Bool = true, calendar: String? = nil) {
        self.schedule = schedule
        self.enabled = enabled
        self.calendar = calendar
    }

    /// The defaults of each built-in job.
    public static func defaults(_ job: BuiltInJob) -> JobSettings {
        switch job {
        case .qualityReport: JobSettings(schedule: "every 1m")
        case .retention: JobSettings(schedule: "every 10m")
        case .redrive: JobSettings(schedule: "every 5m")
        case .quotePoll: JobSettings(schedule: "every 1m", calendar: "nyse")
        }
    }

    /// The schedule as the scheduler takes it; a clear error for a mistake.
    public func parsedSchedule(job: String) throws -> Job.Schedule {
        guard let zone = TimeZone(identifier: timeZone) else {
            throw UserError("jobs.\(job).time-zone must be an IANA time zone like America/New_York, not '\(timeZone)'")
        }
        let text = schedule.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("every ") || Settings.duration(text) != nil {
            let interval = Settings.duration(text.hasPrefix("every ") ? String(text.dropFirst(6)) : text) ?? 0
            guard interval >= 1_000 else {
                throw UserError("jobs.\(job).schedule must be an interval of at least 1s (like every 5m) or a cron expression, not '\(schedule)'")
            }
            return .every(.milliseconds(interval))
        }
        do {
            return .cron(try CronExpression(text), zone)
        } catch {
            throw UserError("jobs.\(job).schedule '\(schedule)' is neither an interval (every 5m) nor a cron expression: \(error)")
        }
    }

    public func parsedCalendar(job: String) throws -> ExchangeCalendar? {
        guard let calendar, calendar != "none" else { return nil }
        guard let found = ExchangeCalendar.named(calendar) else {
            throw UserError("jobs.\(job).calendar must be nyse, always or none, not '\(calendar)'")
        }
        return found
    }
}
