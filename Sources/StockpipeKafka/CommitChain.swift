import StockpipeCore
import Synchronization

/// Commits that overlap but complete in order: each waits for the one before it, and a caller
/// waits only for the previous one, so one commit's round trips to the brokers overlap the
/// preparation and hand-off of the next.
///
/// A commit whose turn comes when a later one is already waiting is left out: positions and
/// checkpoints only move forward, so the later one says all it would have said. Each commit is a
/// round trip to the group coordinator; a stage that hands over batches faster than that (a
/// drain through a backlog) would otherwise be held to one batch per round trip.
final class CommitChain: Sendable {
    private struct Chain {
        var last: Task<Void, any Error>?
        var appended = 0
    }

    private let chain = Mutex(Chain())

    /// Starts `deliver` and then, unless a later commit has been appended meanwhile, `commit`,
    /// after the current last one; then waits for that previous one.
    func append(
        delivering deliver: @escaping @Sendable () async throws -> Void,
        committing commit: (@Sendable () async throws -> Void)? = nil
    ) async throws {
        let previous = chain.withLock { chain in
            let previous = chain.last
            if commit != nil { chain.appended += 1 }
            let number = chain.appended
            chain.last = Task { [self] in
                try await previous?.value
                try await deliver()
                guard let commit, self.chain.withLock({ $0.appended }) == number else { return }
                try await commit()
            }
            return previous
        }
        try await previous?.value
    }

    /// Commits appended so far.
    var appended: Int { chain.withLock(\.appended) }

    /// Waits for every commit so far.
    func flush() async throws {
        try await chain.withLock { $0.last }?.value
    }
}
