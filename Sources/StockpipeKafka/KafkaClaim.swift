import CRdKafka
import Foundation
import Logging
import StockpipeCore
import Synchronization

/// The right of one process among many to do something alone on a cluster: one drain of a
/// group reads its topic alone (see ``KafkaConsumer/claimAlone(_:tracker:group:brokers:)``), one
/// ingest reads a source, one scheduler runs the jobs (see ``KafkaHold``).
///
/// Brokers offer a client outside a group nothing like compare-and-set, so this is Fischer's timed
/// mutual exclusion over one register, the commit metadata of a group of its own on partition 0
/// of a topic. A contender that finds the register free (empty, unchanged for a whole `lease` so
/// that its holder is gone, or naming a process of this host that no longer runs) writes a value
/// of its own there, waits longer than any such write may take after its read (a slower write is
/// not trusted), and holds the claim if its value is still there: every contender that read
/// "free" before that wrote within the wait, so the last of them wins and the others see it. The
/// holder reads the register and writes a new value every `lease / 15`, so that the others keep
/// waiting; it gives the claim up when the register is not as it left it, and stops once no
/// renewal has gone through within two thirds of the lease, so that it never acts alone after
/// another may have taken over. It leaves the register empty at release.
///
/// Every call blocks: they run on a thread of the caller's, and the renewals on a thread of their own.
final class KafkaClaim: Sendable {
    enum Step {
        case held
        /// Another process holds it, or this attempt lost: ask again later.
        case waiting
        /// A write too slow to be trusted, or errors ten times running: a drain joins its group
        /// instead, a hold starts again with a new claim.
        case givenUp
    }

    private enum Phase {
        case contending(watched: (value: [UInt8], since: ContinuousClock.Instant)?, misses: Int)
        /// `renewed`: when the last write that went through in time was sent; `last`: what it wrote.
        case held(renewed: ContinuousClock.Instant, last: [UInt8])
        /// Not renewed in time (the brokers were slow): not held, but the register may still hold
        /// `last`, in which case nobody took it and ``reclaim()`` may take it again.
        case lapsed(last: [UInt8])
        case lost
    }

    /// The register of the drain claim of `group`.
    static func drainGroup(_ group: String) -> String { "stockpipe-drain:" + group }

    /// How long a register unchanged means its holder is gone.
    let lease: Duration
    /// What the claim is for, in messages ("the drain claim of group validate").
    let purpose: String
    /// The longest a write may take after the read that found the register free, and...
    static let writeBound = Duration.milliseconds(500)
    /// ...the wait before reading it back, longer.
    static let settle = Duration.milliseconds(600)

    private let handle: KafkaHandle
    private let topic: String
    private let register: String
    private let phase: Mutex<Phase>
    private let renewals = Mutex<BlockingThread?>(nil)
    /// The last value this claim wrote: found in the register while this claim does not hold it
    /// (a write it gave up on as too slow, which landed), it is free to this claim, not another's.
    private let written = Mutex<[UInt8]?>(nil)

    /// - Parameters:
    ///   - register: the group whose commit metadata on partition 0 of `topic` holds the claim.
    init(_ configuration: KafkaConfiguration, register: String, topic: String, lease: Duration, purpose: String) throws {
        handle = try GroupOffsets.client(configuration, group: register)
        self.topic = topic
        self.register = register
        self.lease = lease
        self.purpose = purpose
        phase = Mutex(.contending(watched: nil, misses: 0))
        _ = try? read()  // finds the coordinator, which the timed read and write of an attempt must not wait for
    }

    /// The drain claim of `group` on `topic`.
    static func drain(_ configuration: KafkaConfiguration, group: String, topic: String, lease: Duration) throws -> KafkaClaim {
        try KafkaClaim(configuration, register: drainGroup(group), topic: topic, lease: lease, purpose: "the drain claim of group \(group)")
    }

    /// One read of the register and, if it is free, one attempt to take it (about 0.6 s).
    func step() -> Step {
        guard case .contending(var watched, var misses) = phase.withLock({ $0 }) else {
            return isHeld ? .held : .givenUp
        }
        defer {
            phase.withLock { phase in
                if case .contending = phase { phase = .contending(watched: watched, misses: misses) }
            }
        }
        do {
            let asked = ContinuousClock.now
            let value = try read()
            let now = ContinuousClock.now
            if !value.isEmpty, value != written.withLock({ $0 }), !Holder(value).isGoneFromThisHost {
                if watched?.value != value { watched = (value, now) }  // written before the answer came
                if let since = watched?.since, now - since < lease { return .waiting }
            }
            let mine = Self.value()
            try write(mine)
            // Too slow to be trusted: the value may have landed after another contender's check,
            // so it is no more free to this one than to any other.
            guard ContinuousClock.now - asked <= Self.writeBound else {
                KafkaLogging.logger.warning(
                    "writing \(purpose) took over \(Self.writeBound) (the brokers are slow), too long to be sure of it; trying again")
                return .givenUp
            }
            Thread.sleep(forTimeInterval: Self.settle.seconds)
            misses = 0
            guard try read() == mine else {
                watched = nil
                return .waiting
            }
            startHolding(since: asked, last: mine)
            return .held
        } catch {
            misses += 1
            // Said once, at the third error running; the tenth gives up this attempt.
            let level: Logger.Level = misses == 3 ? .warning : .debug
            KafkaLogging.logger.log(level: level, "cannot take \(purpose) (\(misses) errors running): \(error)")
            return misses >= 10 ? .givenUp : .waiting
        }
    }

    /// Contends again from the start after ``Step/givenUp``, still knowing what it wrote.
    func contendAgain() {
        phase.withLock { phase in
            if case .held = phase { return }
            phase = .contending(watched: nil, misses: 0)
        }
    }

    private func startHolding(since asked: ContinuousClock.Instant, last: [UInt8]) {
        phase.withLock { $0 = .held(renewed: asked, last: last) }
        let thread = BlockingThread(name: "claim \(register)")
        renewals.withLock { $0 = thread }
        thread.enqueue { [self] in renewWhileHeld() }
    }

    /// Takes the claim again after it lapsed, if the register still holds what this claim last
    /// wrote: nobody took it meanwhile (a contender waits a whole lease of that value unchanged,
    /// and this attempt changes it). One attempt, as ``step()``'s; returns whether it holds the
    /// claim now. After it finds another value, the claim is lost for good.
    func reclaim() -> Bool {
        guard case .lapsed(let last) = phase.withLock({ $0 }) else { return isHeld }
        do {
            let asked = ContinuousClock.now
            // A renewal sent before the lapse may have landed since: its value is this claim's too.
            let found = try read()
            guard found == last || found == written.withLock({ $0 }) else {
                phase.withLock { $0 = .lost }
                return false
            }
            let mine = Self.value()
            try write(mine)
            phase.withLock { $0 = .lapsed(last: mine) }
            guard ContinuousClock.now - asked <= Self.writeBound else { return false }
            Thread.sleep(forTimeInterval: Self.settle.seconds)
            guard try read() == mine else {
                phase.withLock { $0 = .lost }
                return false
            }
            renewals.withLock { $0 }?.finish()
            startHolding(since: asked, last: mine)
            return true
        } catch {
            KafkaLogging.logger.debug("cannot take \(purpose) again: \(error)")
            return false
        }
    }

    /// Who holds the register, as last read while waiting for it ("HOST, process PID").
    var watchedHolder: String? {
        guard case .contending(let watched, _) = phase.withLock({ $0 }), let value = watched?.value else { return nil }
        return Holder(value).description
    }

    /// Whether the holder may still act alone: a renewal went through within two thirds of the lease.
    var isHeld: Bool {
        phase.withLock { phase in
            guard case .held(let renewed, let last) = phase else { return false }
            if ContinuousClock.now - renewed < lease * 2 / 3 { return true }
            phase = .lapsed(last: last)  // another may take over from now on, unless reclaimed
            return false
        }
    }

    /// Whether the claim is gone for good: another process wrote the register, or it was released.
    var isLost: Bool {
        if case .lost = phase.withLock({ $0 }) { return true }
        return false
    }

    /// Leaves the register empty if this process still holds the claim and the register is as it
    /// left it, and releases the client.
    func release() {
        let held = isHeld
        // Ends the renewals within 50 ms; what they wrote last is read once they have ended.
        let wasHeld = phase.withLock { phase in
            defer { phase = .lost }
            if case .held = phase { return true }
            return false
        }
        renewals.withLock { $0 }?.finish()
        if held, wasHeld, let last = written.withLock({ $0 }), (try? read()) == last { try? write([]) }
        rd_kafka_destroy(handle.pointer)
    }

    /// Stops renewing without leaving the register empty, as a process killed would.
    func abandon() {
        phase.withLock { $0 = .lost }
    }

    private func renewWhileHeld() {
        while true {
            let due = ContinuousClock.now + lease / 15
            while ContinuousClock.now < due {
                guard isHeld else { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard case .held(_, let last) = phase.withLock({ $0 }) else { return }
            let sent = ContinuousClock.now
            guard let found = try? read() else { continue }
            // A write that failed on this side may still have landed: that value is this claim's too.
            guard found == last || found == written.withLock({ $0 }) else {
                KafkaLogging.logger.warning("another process wrote \(purpose); this one gives it up")
                phase.withLock { $0 = .lost }
                return
            }
            let next = Self.value()
            let wrote = (try? write(next)) != nil
            phase.withLock { phase in
                guard case .held(let renewed, _) = phase else { return }
                // A write that took too long may have landed after another drain took over.
                let inTime = wrote && ContinuousClock.now - sent <= Self.writeBound
                phase = .held(renewed: inTime ? sent : renewed, last: wrote ? next : last)
            }
        }
    }

    private static func value() -> [UInt8] { Holder.mine() }

    private func read() throws -> [UInt8] {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, 0)
        let error = KafkaOffsets.askingAgainWhileTransient(5_000) { remaining in
            rd_kafka_committed(handle.pointer, list, remaining)
        }
        let element = list.pointee.elems[0]
        let failure = error != RD_KAFKA_RESP_ERR_NO_ERROR ? error : element.err
        guard failure == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(failure, context: "cannot read \(purpose)") }
        return element.metadata.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: element.metadata_size)) } ?? []
    }

    private func write(_ value: [UInt8]) throws {
        if !value.isEmpty { written.withLock { $0 = value } }
        try KafkaOffsets.commitMetadata(handle, value, topic: topic, partition: 0, group: register)
    }
}

extension BlockingThread {
    /// Waits, blocking, for the jobs queued so far, and ends the thread.
    fileprivate func finish() {
        let done = DispatchSemaphore(value: 0)
        enqueue { done.signal() }
        stop()
        done.wait()
    }
}

/// A value of a claim's register: `HOST/PID/SCOPE/RANDOM`, new at every write. SCOPE names the
/// boot and the process-id namespace: two containers may share a host name and both be process 1.
struct Holder: CustomStringConvertible {
    var host: Substring?
    var pid: pid_t?
    var scope: Substring?
    var random: Substring?

    init(_ value: [UInt8]) {
        let parts = String(decoding: value, as: UTF8.self).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return }
        (host, pid, scope, random) = (parts[0], pid_t(parts[1]), parts[2], parts[3])
    }

    /// This host's name, with any '/' (the values' separator) as '_'.
    static let hostName = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
    /// Written by this process since it started (the part after the last `/` is new at every write).
    static let incarnation = UUID().uuidString.prefix(8)
    static func mine() -> [UInt8] {
        Array(
            "\(hostName)/\(getpid())/\(ProcessScope.current)/\(incarnation)-\(UUID().uuidString.prefix(8))"
                .utf8)
    }

    /// Written by a process of this host, boot and process-id namespace that no longer runs: its
    /// process is gone, or it had this process's number before this one started (a container
    /// restarted in place, where the process is always number 1).
    var isGoneFromThisHost: Bool {
        guard let host, host == Self.hostName, let scope, !scope.isEmpty,
            scope == ProcessScope.current, let pid, let random
        else { return false }
        if pid == getpid() { return !random.hasPrefix(Self.incarnation) }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    var description: String {
        guard let host, let pid else { return "another process" }
        return "process \(pid) on \(host)"
    }
}
