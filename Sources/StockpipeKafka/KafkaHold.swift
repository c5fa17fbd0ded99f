import Foundation
import StockpipeCore

/// A ``LogHold`` on Kafka: a ``KafkaClaim`` whose register is the commit metadata of group
/// `stockpipe-hold:NAME` on partition 0 of `staging`. Taking it waits while another process
/// renews it; a holder killed keeps it for `lease`, one that leaves gives it up at once.
final class KafkaHold: LogHold {
    static func register(_ name: String) -> String { "stockpipe-hold:" + name }

    /// How long a holder that was killed keeps others waiting (and, two thirds of it, how long
    /// a holder that cannot renew keeps acting).
    static let lease = Duration.seconds(15)

    let name: String
    private let claim: KafkaClaim
    private let thread: BlockingThread

    private init(name: String, claim: KafkaClaim, thread: BlockingThread) {
        self.name = name
        self.claim = claim
        self.thread = thread
    }

    /// Waits for the claim, saying once on standard error who holds it.
    static func take(
        _ name: String, configuration: KafkaConfiguration, lease: Duration = lease, topic: String = Topic.staging
    ) async throws -> KafkaHold {
        let thread = BlockingThread(name: "hold \(name)")
        var announced = false
        var claim: KafkaClaim?
        do {
            let current = try await thread.run {
                try KafkaClaim(configuration, register: register(name), topic: topic, lease: lease, purpose: "the hold on \(name)")
            }
            claim = current
            while true {
                try Task.checkCancellation()
                let step = try await thread.run { current.step() }
                switch step {
                case .held:
                    return KafkaHold(name: name, claim: current, thread: thread)
                case .waiting:
                    if !announced, let holder = current.watchedHolder {
                        FileHandle.standardError.write(
                            Data(
                                "stockpipe: waiting for \(name), held by \(holder) (one that was killed lets it go after \(Int(lease.seconds)) s)\n"
                                    .utf8))
                        announced = true
                    }
                    try await Task.sleep(for: .milliseconds(250))
                case .givenUp:
                    // A write too slow to trust, or errors: from the start, knowing what it wrote.
                    try await Task.sleep(for: .seconds(1))
                    try await thread.run { current.contendAgain() }
                }
            }
        } catch {
            if let claim { _ = try? await thread.run { claim.release() } }
            thread.stop()
            throw error
        }
    }

    var isHeld: Bool { claim.isHeld }

    /// After the hold lapsed (not renewed in time, the brokers being slow), takes it again if
    /// nobody took it meanwhile, trying for up to a lease; false once another process holds it.
    func reclaim() async -> Bool {
        let deadline = ContinuousClock.now + claim.lease
        while ContinuousClock.now < deadline {
            if (try? await thread.run { [claim] in claim.reclaim() }) == true {
                KafkaLogging.logger.warning(
                    "the hold on \(name) went unrenewed for \(claim.lease * 2 / 3) (the brokers were slow); nobody took it meanwhile, so this process goes on"
                )
                return true
            }
            if claim.isLost { return false }
            try? await Task.sleep(for: .seconds(1))
        }
        return false
    }

    func release() async {
        _ = try? await thread.run { [claim] in claim.release() }
        thread.stop()
    }

    /// Stops renewing without leaving the register empty, as a process killed would (tests).
    func abandon() { claim.abandon() }
}
