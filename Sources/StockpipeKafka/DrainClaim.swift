import CRdKafka
import Foundation
import StockpipeCore
import Synchronization

/// The right of one drain of a group to read its topic alone (see
/// ``KafkaConsumer/claimAlone(_:tracker:group:brokers:)``): two drains of `validate` started at
/// once must not both read every partition.
///
/// Brokers offer a client outside a group nothing like compare-and-set, so this is Fischer's timed
/// mutual exclusion over one register, the commit metadata of group `stockpipe-drain:GROUP` on
/// partition 0 of the topic: a drain that finds the register free (empty, or unchanged for a
/// whole `lease`, so its holder is gone) writes its own name there, waits longer than any such
/// write may take after its read (a write slower than that is not trusted and made again), and
/// holds the claim if its name is still there. Every drain that read "free" before that wrote
/// within the wait, so the last of them wins and the others see it. The holder writes a new value
/// every `lease / 15`, so that the others keep waiting, and stops publishing once it has not
/// managed to for two thirds of the lease: it never reads alone after another drain may have
/// taken over. It leaves the register empty when it closes.
final class DrainClaim: Sendable {
    static func group(_ group: String) -> String { "stockpipe-drain:" + group }

    /// How long a register unchanged means its holder is gone.
    let lease: Duration
    /// The longest a write may take after the read that found the register free...
    static let writeBound = Duration.milliseconds(500)
    /// ...and the wait before reading it back, longer.
    static let settle = Duration.milliseconds(600)

    let name = UUID().uuidString
    private let handle: KafkaHandle
    private let topic: String
    private let group: String
    /// When the last write that went through was sent, while held; nil once lost or released.
    private let renewed: Mutex<ContinuousClock.Instant?>
    private let renewals: BlockingThread

    private init(handle: KafkaHandle, topic: String, group: String, lease: Duration, acquiredAt: ContinuousClock.Instant) {
        self.handle = handle
        self.topic = topic
        self.group = group
        self.lease = lease
        renewed = Mutex(acquiredAt)
        renewals = BlockingThread(name: "claim \(group)")
        renewals.enqueue { [self] in renewWhileHeld() }
    }

    /// Waits, blocking, while another drain holds the claim, then takes it. Nil when `stop` says
    /// so, or when writes were too slow to be trusted ten times running (the caller joins the group).
    static func acquire(
        _ configuration: KafkaConfiguration, group: String, topic: String, lease: Duration = .seconds(10),
        stop: () -> Bool
    ) throws -> DrainClaim? {
        let handle = try GroupOffsets.client(configuration, group: Self.group(group))
        do {
            if let acquiredAt = try take(handle, topic: topic, group: group, lease: lease, stop: stop) {
                return DrainClaim(handle: handle, topic: topic, group: group, lease: lease, acquiredAt: acquiredAt)
            }
        } catch {
            rd_kafka_destroy(handle.pointer)
            throw error
        }
        rd_kafka_destroy(handle.pointer)
        return nil
    }

    /// Fischer's loop; returns when the claim was taken (the time before the read that found it free).
    private static func take(
        _ handle: KafkaHandle, topic: String, group: String, lease: Duration, stop: () -> Bool
    ) throws -> ContinuousClock.Instant? {
        var watched: (value: [UInt8], since: ContinuousClock.Instant)?
        var written: [UInt8]?  // by an attempt of ours that was too slow: as good as free to us
        var slow = 0
        while !stop() {
            let asked = ContinuousClock.now
            let value = try read(handle, topic: topic, group: group)
            let now = ContinuousClock.now
            if !value.isEmpty && value != written {
                // Since the read came back: the value was written before that.
                if watched?.value != value { watched = (value, now) }
                if let watched, now - watched.since < lease {
                    Thread.sleep(forTimeInterval: 0.25)
                    continue
                }
            }
            let mine = Array("\(UUID().uuidString) 0".utf8)
            try write(handle, mine, topic: topic, group: group)
            guard ContinuousClock.now - asked <= writeBound else {
                slow += 1
                if slow >= 10 { return nil }
                written = mine
                continue
            }
            Thread.sleep(forTimeInterval: settle.seconds)
            if try read(handle, topic: topic, group: group) == mine { return asked }
            watched = nil
            written = nil
        }
        return nil
    }

    /// Whether this drain may still publish: it renewed the claim within two thirds of the lease.
    var isHeld: Bool {
        renewed.withLock { renewed in
            guard let last = renewed else { return false }
            if ContinuousClock.now - last < lease * 2 / 3 { return true }
            renewed = nil  // lost for good: another drain may take over from now on
            return false
        }
    }

    /// Leaves the register empty, if the claim is still held, and releases the client. Blocks
    /// (up to 50 ms, and the write): call it from a thread of librdkafka's calls.
    func release() {
        let held = isHeld
        renewed.withLock { $0 = nil }  // ends the renewals within 50 ms
        let done = DispatchSemaphore(value: 0)
        renewals.enqueue { [handle, topic, group] in
            if held { try? Self.write(handle, [], topic: topic, group: group) }
            rd_kafka_destroy(handle.pointer)
            done.signal()
        }
        renewals.stop()
        done.wait()
    }

    /// Stops renewing without leaving the register empty, as a process killed would.
    func abandon() {
        renewed.withLock { $0 = nil }
    }

    private func renewWhileHeld() {
        var sequence = 0
        while true {
            let due = ContinuousClock.now + lease / 15
            while ContinuousClock.now < due {
                guard renewed.withLock({ $0 != nil }) else { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard isHeld else { return }
            sequence += 1
            let sent = ContinuousClock.now
            guard (try? Self.write(handle, Array("\(name) \(sequence)".utf8), topic: topic, group: group)) != nil else { continue }
            renewed.withLock { renewed in
                if renewed != nil { renewed = sent }
            }
        }
    }

    private static func read(_ handle: KafkaHandle, topic: String, group: String) throws -> [UInt8] {
        let committed = try KafkaOffsets.committed(
            handle, topic: topic, partitions: 1, group: Self.group(group), timeoutMilliseconds: 10_000)
        return committed[0]?.metadata ?? []
    }

    private static func write(_ handle: KafkaHandle, _ value: [UInt8], topic: String, group: String) throws {
        try KafkaOffsets.commitMetadata(handle, value, topic: topic, partition: 0, group: Self.group(group))
    }
}
