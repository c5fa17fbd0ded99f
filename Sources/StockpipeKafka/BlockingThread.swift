import Foundation
import StockpipeCore

/// A thread of its own for librdkafka's blocking calls (polls, commits, metadata requests), so
/// that they never occupy a thread of Swift's cooperative pool. Jobs run one at a time, in order.
final class BlockingThread: @unchecked Sendable {
    // Safe: `jobs` and `stopping` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    init(name: String) {
        let short = Self.threadName(name)
        let thread = Thread { [self] in
            Self.nameCurrentThread(short)
            loop()
        }
        thread.name = short
        thread.start()
    }

    /// Foundation on Linux keeps `Thread.name` to itself; crash reports and /proc show the kernel's
    /// name, which a thread sets by writing its own `comm` (`pthread_setname_np` is not imported).
    /// Without a name of its own a thread shows the name of the one that started it: a crash on a
    /// poll thread once read as one of Swift's ("oot.default-qos").
    private static func nameCurrentThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        _ = name.withCString { write(file, $0, strlen($0)) }
        close(file)
    }

    /// `name` cut to the 15 bytes Linux keeps (it refuses a longer one).
    static func threadName(_ name: String) -> String {
        var short = ""
        for character in name {
            guard short.utf8.count + character.utf8.count <= 15 else { break }
            short.append(character)
        }
        return short
    }

    /// Runs `body` on the thread and returns its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            enqueue { continuation.resume(with: Swift.Result { try body() }) }
        }
    }

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread finish the jobs already queued, then end.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }
}

extension BlockingThread {
    /// Runs one blocking call on a thread made for it, which ends afterwards.
    func runOnce<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        defer { stop() }
        return try await run(body)
    }
}
