import StockpipeCore

/// Lets a stage prepare its next batch while the previous one is being written: at most one
/// write is in flight, and writes happen in submission order, so positions are still committed
/// only after their outputs, and in order.
struct CommitPipeline {
    private var inFlight: Task<Void, any Error>?

    /// Waits for the previous write, then starts `write`.
    mutating func submit(_ write: @escaping @Sendable () async throws -> Void) async throws {
        try await inFlight?.value
        inFlight = Task(operation: write)
    }

    /// Waits for the last write.
    mutating func finish() async throws {
        defer { inFlight = nil }
        try await inFlight?.value
    }
}
