import StockpipeCore
import Synchronization

/// Commits that overlap but complete in order: each waits for the one before it, and a caller
/// waits only for the previous one, so one commit's round trips to the brokers overlap the
/// preparation and hand-off of the next.
final class CommitChain: Sendable {
    private let last = Mutex<Task<Void, any Error>?>(nil)

    /// Starts `commit` after the current last one, then waits for that previous one.
    func append(_ commit: @escaping @Sendable () async throws -> Void) async throws {
        let previous = last.withLock { last in
            let previous = last
            last = Task {
                try await previous?.value
                try await commit()
            }
            return previous
        }
        try await previous?.value
    }

    /// Waits for every commit so far.
    func flush() async throws {
        try await last.withLock { $0 }?.value
    }
}
