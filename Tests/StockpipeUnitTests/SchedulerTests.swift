import Foundation
import StockpipeCore
import StockpipeSchedule
import Testing

/// A clock the test moves by hand: sleepers wake when it passes their deadline, never by time.
final class ManualClock: SchedulerClock, @unchecked Sendable {
    // Safe: every access to `current` and `sleepers` holds `lock`.
    private let lock = NSLock()
    private var current: Date
    private var sleepers: [(deadline: Date, id: UUID, continuation: CheckedContinuation<Void, any Error>)] = []

    init(_ start: Date) { current = start }

    func now() -> Date { lock.withLock { current } }

    func sleep(until deadline: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = lock.withLock {
                    if deadline <= current || Task.isCancelled { return true }
                    sleepers.append((deadline, id, continuation))
                    return false
                }
                if resumeNow { Task.isCancelled ? continuation.resume(throwing: CancellationError()) : continuation.resume() }
            }
        } onCancel: {
            let cancelled = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// Moves the time on and wakes whoever's deadline it passed.
    func advance(by seconds: TimeInterval) {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, any Error>] in
            current = current.addingTimeInterval(seconds)
            let due = sleepers.filter { $0.deadline <= current }
            sleepers.removeAll { $0.deadline <= current }
            return due.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    var waiting: Int { lock.withLock { sleepers.count } }

    /// Whether someone sleeps until exactly `deadline`.
    func isWaiting(until deadline: Date) -> Bool { lock.withLock { sleepers.contains { $0.deadline == deadline } } }
}

actor History {
    var runs: [JobRun] = []
    func append(_ run: JobRun) { runs.append(run) }
}

actor Counter {
    var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}

struct FlakyError: Error {}

/// Waits (on real time) until the tasks the clock woke have done what `condition` says: at once
/// on an idle machine, up to 90 s while the rest of the suite keeps both cores busy (in the first
/// two minutes of a full run on 2 cores, a task can wait 30 s for a thread).
func eventually(_ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(90)
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("the condition did not come true")
}

@Suite("Scheduler on a test clock", .timeLimit(.minutes(5)))
struct SchedulerTests {
    /// Monday 2024-11-25 09:00 New York time.
    let monday = ISO8601DateFormatter().date(from: "2024-11-25T14:00:00Z")!

    func start(_ jobs: [Job], _ clock: ManualClock) -> (Task<Void, Never>, History) {
        let history = History()
        let scheduler = Scheduler(jobs: jobs, clock: clock) { await history.append($0) }
        return (Task { await scheduler.run() }, history)
    }

    @Test func aCronJobRunsAtEachMatchingMinute() async throws {
        let clock = ManualClock(monday.addingTimeInterval(10))
        let (task, history) = start([Job(name: "poll", schedule: .cron(try CronExpression("*/2 * * * *"), .gmt)) { "ok" }], clock)
        try await eventually { clock.waiting == 1 }
        for minute in 1...6 {
            clock.advance(by: 60)
            try await eventually { await history.runs.count == minute / 2 && clock.waiting == 1 }
        }
        let runs = await history.runs
        #expect(runs.map(\.scheduledAt) == [2, 4, 6].map { monday.addingTimeInterval(Double($0) * 60) })
        #expect(runs.allSatisfy { $0.outcome == .succeeded("ok") && $0.attempts == 1 })
        task.cancel()
        await task.value
    }

    @Test func aRunStillGoingWhenTheNextIsDueIsNotStartedTwice() async throws {
        let clock = ManualClock(monday)
        let release = AsyncStream<Void>.makeStream()
        var job = Job(name: "slow", schedule: .every(.seconds(60))) {
            for await _ in release.stream { break }
            return "done"
        }
        job.timeout = .seconds(3_600)
        let (task, history) = start([job], clock)
        try await eventually { clock.waiting == 1 }
        for _ in 1...3 {
            clock.advance(by: 60)
            try await eventually { clock.waiting == 2 }  // the loop again, and the run's timeout
        }
        #expect(await history.runs.map(\.outcome) == [.skippedStillRunning, .skippedStillRunning])
        release.continuation.yield()
        try await eventually { await history.runs.count == 3 }
        #expect(await history.runs.last?.outcome == .succeeded("done"))
        #expect(await history.runs.last?.scheduledAt == monday.addingTimeInterval(60))
        task.cancel()
        await task.value
    }

    @Test func aRunCutShortByStoppingIsRecordedAsCancelledNotTimedOut() async throws {
        let clock = ManualClock(monday)
        let job = Job(name: "long", schedule: .every(.seconds(60))) {
            try await clock.sleep(until: .distantFuture)
            return "never"
        }
        let (task, history) = start([job], clock)
        try await eventually { clock.waiting == 1 }
        clock.advance(by: 60)
        // Running: the loop waits for the next time, the action for ever, the timeout for 300 s.
        try await eventually { clock.waiting == 3 }
        task.cancel()
        await task.value
        #expect(await history.runs.map(\.outcome) == [.failed("cancelled: the scheduler stopped")])
    }

    @Test func failuresAreRetriedWithDoublingWaitsThenRecorded() async throws {
        let clock = ManualClock(monday)
        let calls = Counter()
        var job = Job(name: "flaky", schedule: .every(.seconds(3_600))) {
            if await calls.next() < 3 { throw FlakyError() }
            return "third time"
        }
        job.backoff = .seconds(10)
        let (task, history) = start([job], clock)
        try await eventually { clock.waiting == 1 }
        clock.advance(by: 3_600)
        // The retry's wait, not the attempt's timeout that may still be going away, is what to wait for.
        let due = monday.addingTimeInterval(3_600)
        try await eventually { await calls.value == 1 && clock.isWaiting(until: due.addingTimeInterval(10)) }
        clock.advance(by: 9)
        try await Task.sleep(for: .milliseconds(20))
        #expect(await calls.value == 1, "the first wait is 10 s")
        clock.advance(by: 1)
        try await eventually { await calls.value == 2 && clock.isWaiting(until: due.addingTimeInterval(30)) }
        clock.advance(by: 10)
        try await Task.sleep(for: .milliseconds(20))
        #expect(await calls.value == 2, "the second wait is 20 s")
        clock.advance(by: 10)
        try await eventually { await history.runs.count == 1 }
        let run = try #require(await history.runs.first)
        #expect(run.outcome == .succeeded("third time") && run.attempts == 3)
        #expect(run.finishedAt.timeIntervalSince(run.startedAt) == 30)
        task.cancel()
        await task.value
    }

    @Test func aRunOverItsTimeoutIsCancelledAndCountsAsTimedOut() async throws {
        let clock = ManualClock(monday)
        var job = Job(name: "stuck", schedule: .every(.seconds(600))) {
            try await clock.sleep(until: .distantFuture)
            return "never"
        }
        job.timeout = .seconds(30)
        job.attempts = 1
        let (task, history) = start([job], clock)
        try await eventually { clock.waiting == 1 }
        clock.advance(by: 600)
        try await eventually { clock.waiting == 3 }  // the loop, the action, the timeout
        clock.advance(by: 30)
        try await eventually { await history.runs.count == 1 }
        #expect(await history.runs.first?.outcome == .timedOut)
        try await eventually { clock.waiting == 1 }  // the stuck action was cancelled
        task.cancel()
        await task.value
    }

    @Test func anExchangeHoursJobRunsOnlyWhileTheExchangeIsOpen() async throws {
        // Friday 2024-11-29 15:00 New York time, through the weekend to Monday 10:00.
        let friday = ISO8601DateFormatter().date(from: "2024-11-29T20:00:00Z")!
        let clock = ManualClock(friday)
        var job = Job(name: "freshness", schedule: .cron(try CronExpression("0 * * * *"), TimeZone(identifier: "America/New_York")!)) { "fresh" }
        job.calendar = .nyse
        let (task, history) = start([job], clock)
        try await eventually { clock.waiting == 1 }
        for _ in 0..<67 {
            clock.advance(by: 3_600)
            try await eventually { clock.waiting == 1 }
        }
        try await eventually { await history.runs.count == 1 }
        let formatter = ISO8601DateFormatter()
        #expect(
            await history.runs.map { formatter.string(from: $0.scheduledAt) } == ["2024-12-02T15:00:00Z"],
            "not Friday 16:00 (the close), nothing over the weekend, then Monday 10:00")
        task.cancel()
        await task.value
    }
}
