import Logging
import ServiceLifecycle
import StockpipeCore
import StockpipePipeline
import StockpipeSchedule

/// The scheduler as a service: inside `stockpipe run`, or alone as `stockpipe scheduler`. Each
/// run goes into the store's history; a graceful shutdown cancels the runs in progress, which
/// are recorded as failed.
public struct SchedulerService: Service {
    public let catalog: JobCatalog
    public let jobs: [Job]

    public init(catalog: JobCatalog) throws {
        self.catalog = catalog
        jobs = try catalog.scheduledJobs()
    }

    public func run() async throws {
        let scheduler = Scheduler(jobs: jobs, clock: SystemSchedulerClock(), record: catalog.record)
        await cancelWhenGracefulShutdown {
            await scheduler.run()
        }
    }
}
