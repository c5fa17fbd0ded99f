import Foundation

/// A piece of work the scheduler runs: when, only while an exchange is open or always, and how
/// hard to try. The action returns a one-line summary for the run history, and may hand its next
/// run some state (see ``JobResult``).
public struct Job: Sendable {
    public enum Schedule: Sendable, CustomStringConvertible {
        /// Every interval from the scheduler's start.
        case every(Duration)
        case cron(CronExpression, TimeZone)

        public func next(after date: Date) -> Date? {
            switch self {
            case .every(let interval):
                return date.addingTimeInterval(interval / .seconds(1))
            case .cron(let expression, let zone): return expression.next(after: date, in: zone)
            }
        }

        public var description: String {
            switch self {
            case .every(let interval): "every " + Self.words(interval)
            case .cron(let expression, let zone): "cron \(expression) (\(zone.identifier))"
            }
        }

        /// 90 s → "1m 30s", 2 h → "2h".
        static func words(_ duration: Duration) -> String {
            var seconds = duration.components.seconds
            var parts: [String] = []
            for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds >= size {
                parts.append("\(seconds / size)\(unit)")
                seconds %= size
            }
            if seconds > 0 || parts.isEmpty { parts.append("\(seconds)s") }
            return parts.joined(separator: " ")
        }
    }

    public var name: String
    public var schedule: Schedule
    /// Runs that fall while this exchange is closed are left out.
    public var calendar: ExchangeCalendar?
    /// A run that takes longer is cancelled and counts as failed.
    public var timeout: Duration = .seconds(300)
    /// Tries per run; between them the wait starts at `backoff` and doubles.
    public var attempts = 3
    public var backoff: Duration = .seconds(5)
    public var action: @Sendable () async throws -> JobResult

    public init(name: String, schedule: Schedule, action: @escaping @Sendable () async throws -> JobResult) {
        self.name = name
        self.schedule = schedule
        self.action = action
    }
}

/// What a successful run reports: a one-line summary, and what the next run should know (kept in
/// the run history; the re-drive job keeps the rules it last re-drove under).
///
/// ```swift
/// Job(name: "report", schedule: .every(.seconds(60))) { "3 symbols fresh" }
/// ```
public struct JobResult: Sendable, Equatable, ExpressibleByStringInterpolation {
    public var summary: String
    public var state: String

    public init(_ summary: String, state: String = "") {
        self.summary = summary
        self.state = state
    }

    public init(stringLiteral value: String) { self.init(value) }
}

/// One run of a job, as the history keeps it.
public struct JobRun: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case succeeded(JobResult)
        case failed(String)
        case timedOut
        /// The previous run was still going: runs of one job never overlap.
        case skippedStillRunning
    }

    public var job: String
    public var scheduledAt: Date
    public var startedAt: Date
    public var finishedAt: Date
    public var attempts: Int
    public var outcome: Outcome
    /// Started by hand (`stockpipe jobs run`) rather than by the schedule.
    public var manual = false
}

/// Where the scheduler's time comes from: the system clock, or a test's.
public protocol SchedulerClock: Sendable {
    func now() -> Date
    /// Returns at `deadline`, or throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Date) async throws
}

public struct SystemSchedulerClock: SchedulerClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int64(seconds * 1_000))) }
    }
}
