import Logging
import ServiceLifecycle
import StockpipeCore
import StockpipePipeline
import StockpipeSchedule

/// The scheduler as a service: inside `stockpipe run`, or alone as `stockpipe scheduler`. Each
/// run goes into the store's history; a graceful shutdown cancels the runs in progress, which
/// are recorded as failed.
///
/// One scheduler runs the jobs of a pipeline at a time: it takes the log's hold `scheduler`
/// first, so that a second one waits (a standby) and takes over when the first stops, and it
/// stops if another process takes the hold over (after the log did not answer for a lease).
public struct SchedulerService: Service {
    public let catalog: JobCatalog
    public let jobs: [Job]

    public init(catalog: JobCatalog) throws {
        self.catalog = catalog
        jobs = try catalog.scheduledJobs()
    }

    public func run() async throws {
        let log = catalog.backends.log
        let hold: any LogHold
        do {
            hold = try await cancelWhenGracefulShutdown { try await log.hold(Self.holdName) }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
        let scheduler = Scheduler(jobs: jobs, clock: SystemSchedulerClock(), record: catalog.record)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await scheduler.run() }
                    group.addTask {
                        while true {
                            try await hold.ensureHeld(Self.holdName)
                            try await Task.sleep(for: .milliseconds(500))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
        } catch {
            await hold.release()
            throw error
        }
        await hold.release()
    }

    /// The log's hold that makes one scheduler run at a time.
    public static let holdName = "scheduler"
}
