import StockpipeCore
import StockpipeDashboard
import StockpipePipeline

extension StatusReport {
    /// The status of the backends a process opened.
    public static func collect(_ backends: Backends) async throws -> StatusReport {
        try await collect(log: backends.log, store: backends.store, dataDirectory: backends.dataDirectory)
    }
}

extension QuarantineReplay {
    /// Stages the quarantined records (all, or those with `reason`) again; returns how many.
    public static func restage(_ backends: Backends, reason: ReasonCode?) async throws -> Int {
        try await restage(log: backends.log, store: backends.store, reason: reason)
    }

    /// Stages the quarantined records that `include` picks again; returns how many.
    public static func restage(_ backends: Backends, where include: (QuarantineRecord) -> Bool) async throws -> Int {
        try await restage(log: backends.log, store: backends.store, where: include)
    }
}

extension Backends {
    /// What the dashboard reads of these backends.
    public var forDashboard: DashboardBackends {
        DashboardBackends(log: log, store: store, dataDirectory: dataDirectory)
    }
}
