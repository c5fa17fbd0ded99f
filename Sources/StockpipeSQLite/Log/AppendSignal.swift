import Foundation
import StockpipeCore
import Synchronization

/// Wakes this process's consumers of a topic as soon as something is appended to it, instead of
/// at their next poll: a consumer that caught up would otherwise sit idle for a poll interval
/// after every batch. Appends by other processes are still found by polling.
final class AppendSignal: Sendable {
    private struct State {
        var generations: [String: UInt64] = [:]
        var waiters: [UUID: (topic: String, continuation: CheckedContinuation<Void, Never>)] = [:]
        /// Waits woken (by their timer) before they had registered.
        var woken: Set<UUID> = []
    }

    private let state = Mutex(State())

    func generation(of topic: String) -> UInt64 {
        state.withLock { $0.generations[topic, default: 0] }
    }

    func notify(_ topics: some Sequence<String>) {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let topics = Set(topics)
            for topic in topics { state.generations[topic, default: 0] &+= 1 }
            let due = state.waiters.filter { topics.contains($0.value.topic) }
            for id in due.keys { state.waiters.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns once `topic` moves past generation `seen`, or after `timeout`.
    func wait(for topic: String, after seen: UInt64, timeout: Duration) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.woken.remove(id) != nil || state.generations[topic, default: 0] != seen { return true }
                        state.waiters[id] = (topic, continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            await group.next()
            group.cancelAll()  // the timer, if still sleeping, wakes `id` on its way out
        }
        _ = state.withLock { $0.woken.remove(id) }
    }

    private func wake(_ id: UUID) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter.continuation }
            state.woken.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
