import Synchronization

extension BlockingThread {
    /// Runs `body` on the thread, waiting for its result until `deadline` at most: `nil` when the
    /// wait ran out. The call itself cannot be stopped; it goes on, and its result is dropped.
    ///
    /// For librdkafka calls with no time limit of their own that may never return, such as
    /// `rd_kafka_consumer_close` while the brokers do not answer (librdkafka issue 3740):
    /// ```swift
    /// let closed = await pollThread.run(until: .now + .seconds(30)) { rd_kafka_consumer_close(handle) }
    /// ```
    func run<Result: Sendable>(
        until deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> Result
    ) async -> Result? {
        let waiter = DeadlineWaiter<Result>()
        return await withCheckedContinuation { continuation in
            waiter.start(continuation)
            enqueue { waiter.finish(body()) }
            waiter.timer(
                Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    waiter.finish(nil)
                })
        }
    }
}

/// Resumes its continuation once, with whichever comes first: the result or the deadline.
private final class DeadlineWaiter<Result: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Result?, Never>?>(nil)
    private let sleeper = Mutex<Task<Void, Never>?>(nil)

    func start(_ continuation: CheckedContinuation<Result?, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func timer(_ task: Task<Void, Never>) {
        let finished = continuation.withLock { $0 == nil }
        if finished { task.cancel() } else { sleeper.withLock { $0 = task } }
    }

    func finish(_ result: Result?) {
        continuation.withLock { waiting in
            waiting?.resume(returning: result)
            waiting = nil
        }
        sleeper.withLock { $0 }?.cancel()
    }
}
