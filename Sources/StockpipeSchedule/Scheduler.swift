import Foundation

/// Runs jobs on their schedules until cancelled: each job in a loop of its own, one run at a
/// time (a run due while the last is still going is recorded as skipped, not started), each
/// run tried `attempts` times with doubling waits and cut off after `timeout`.
///
/// ```swift
/// let scheduler = Scheduler(jobs: [quality], clock: SystemSchedulerClock()) { run in await history.append(run) }
/// try await scheduler.run()
/// ```
public actor Scheduler {
    let jobs: [Job]
    let clock: any SchedulerClock
    let record: @Sendable (JobRun) async -> Void
    private var running: Set<String> = []

    public init(jobs: [Job], clock: any SchedulerClock, record: @escaping @Sendable (JobRun) async -> Void) {
        self.jobs = jobs
        self.clock = clock
        self.record = record
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { await self.loop(job) } }
            await group.waitForAll()
        }
    }

    private func loop(_ job: Job) async {
        var after = clock.now()
        await withDiscardingTaskGroup { runs in
            while !Task.isCancelled, let due = job.schedule.next(after: after) {
                do { try await clock.sleep(until: due) } catch { break }
                after = due
                if let calendar = job.calendar, !calendar.isOpen(at: due) { continue }
                if running.contains(job.name) {
                    await record(
                        JobRun(
                            job: job.name, scheduledAt: due, startedAt: due, finishedAt: due, attempts: 0,
                            outcome: .skippedStillRunning))
                    continue
                }
                running.insert(job.name)
                runs.addTask { await self.record(await self.execute(job, scheduledAt: due)) }
            }
            runs.cancelAll()
        }
    }

    private func finished(_ name: String) { running.remove(name) }

    /// Runs `job` now, outside its schedule, with its attempts and timeout (`stockpipe jobs run`);
    /// the run is recorded as manual. Nil when a run of it is already going in this scheduler.
    public func runNow(_ job: Job) async -> JobRun? {
        guard !running.contains(job.name) else { return nil }
        running.insert(job.name)
        var run = await execute(job, scheduledAt: clock.now())
        run.manual = true
        await record(run)
        return run
    }

    private func execute(_ job: Job, scheduledAt: Date) async -> JobRun {
        let started = clock.now()
        var attempt = 0
        var outcome = JobRun.Outcome.failed("not run")
        var wait = job.backoff
        while attempt < max(1, job.attempts), !Task.isCancelled {
            attempt += 1
            outcome = await Self.attempt(job, clock: clock)
            if case .succeeded = outcome { break }
            guard attempt < job.attempts else { break }
            do { try await clock.sleep(until: clock.now().addingTimeInterval(Self.seconds(wait))) } catch { break }
            wait = wait * 2
        }
        // Cut short by the scheduler stopping, not by the job's timeout.
        if Task.isCancelled, outcome == .timedOut { outcome = .failed("cancelled: the scheduler stopped") }
        finished(job.name)
        return JobRun(
            job: job.name, scheduledAt: scheduledAt, startedAt: started, finishedAt: clock.now(), attempts: attempt,
            outcome: outcome)
    }

    /// The action raced against the timeout; the loser is cancelled.
    private static func attempt(_ job: Job, clock: any SchedulerClock) async -> JobRun.Outcome {
        let deadline = clock.now().addingTimeInterval(seconds(job.timeout))
        return await withTaskGroup(of: JobRun.Outcome?.self) { group in
            group.addTask {
                do { return .succeeded(try await job.action()) } catch is CancellationError { return nil } catch { return .failed("\(error)") }
            }
            group.addTask {
                do { try await clock.sleep(until: deadline) } catch { return nil }
                return .timedOut
            }
            var outcome = JobRun.Outcome.timedOut
            while let next = await group.next() {
                guard let next else { continue }
                outcome = next
                group.cancelAll()
                break
            }
            return outcome
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        duration / .seconds(1)
    }
}
