import CRdKafka
import StockpipeCore
import Synchronization

/// Counts down the delivery reports of one batch and wakes its sender when the last arrives.
public final class DeliveryBatch: Sendable {
    private struct State {
        var remaining: Int
        var error: KafkaError?
        var waiter: CheckedContinuation<Void, any Error>?
        /// The reference the delivery reports hold, let go with the last of them.
        var retained: Unmanaged<DeliveryBatch>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(remaining: count))
    }

    /// The opaque pointer for librdkafka: a reference kept until the last report.
    func retainForReports() -> UnsafeMutableRawPointer {
        let retained = Unmanaged.passRetained(self)
        state.withLock { $0.retained = retained }
        return retained.toOpaque()
    }

    /// Called on the poller thread for each record.
    func delivered(_ error: rd_kafka_resp_err_t) {
        let failure = error == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(error, context: "a record was not delivered")
        finish(count: 1, failure)
    }

    /// Records that were never handed to librdkafka: they will have no report.
    func abandon(_ count: Int, _ error: KafkaError) {
        finish(count: count, error)
    }

    private func finish(count: Int, _ error: KafkaError?) {
        let (resume, release) = state.withLock { state -> ((CheckedContinuation<Void, any Error>, KafkaError?)?, Unmanaged<DeliveryBatch>?) in
            state.remaining -= count
            if state.error == nil { state.error = error }
            guard state.remaining == 0 else { return (nil, nil) }
            defer { state.retained = nil; state.waiter = nil }
            return (state.waiter.map { ($0, state.error) }, state.retained)
        }
        if let (waiter, error) = resume {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
        release?.release()
    }

    /// Returns when every record is acknowledged; throws the first failure.
    public func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { state -> KafkaError?? in
                if state.remaining == 0 { return .some(state.error) }
                state.waiter = continuation
                return .none
            }
            if let done {
                if let error = done { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }
}

/// A flag shared with a thread's loop by reference, so that the loop need not hold its owner.
final class SharedFlag: Sendable {
    let value: Atomic<Bool>

    init(_ value: Bool = true) {
        self.value = Atomic(value)
    }
}
