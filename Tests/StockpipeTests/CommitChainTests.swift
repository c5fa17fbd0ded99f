import Synchronization
import Testing

@testable import StockpipeKafka

@Suite("Commit chain")
struct CommitChainTests {
    final class Calls: Sendable {
        private let numbers = Mutex<[Int]>([])
        func add(_ number: Int) { numbers.withLock { $0.append(number) } }
        var all: [Int] { numbers.withLock { $0 } }
    }

    /// Each commit is a round trip to the group coordinator; a drain through a backlog made one per
    /// batch, in turn, and went no faster than those round trips.
    @Test func aCommitWithALaterOneWaitingIsLeftOutAndEveryDeliveryStillRuns() async throws {
        let chain = CommitChain()
        let delivered = Calls()
        let committed = Calls()
        let (firstMayFinish, release) = AsyncStream<Void>.makeStream()
        // The first delivery is slow: the second and third are handed over while it goes.
        try await chain.append(
            delivering: {
                for await _ in firstMayFinish { break }
                delivered.add(1)
            },
            committing: { committed.add(1) })
        var appending: [Task<Void, any Error>] = []
        for number in 2...3 {
            appending.append(
                Task {
                    try await chain.append(delivering: { delivered.add(number) }, committing: { committed.add(number) })
                })
            while chain.appended < number { await Task.yield() }
        }
        release.yield()
        for task in appending { try await task.value }
        try await chain.flush()
        #expect(delivered.all == [1, 2, 3])
        #expect(committed.all == [3])

        // With nothing waiting behind it, a commit is made.
        try await chain.append(delivering: {}, committing: { committed.add(4) })
        try await chain.flush()
        #expect(committed.all == [3, 4])
    }
}
