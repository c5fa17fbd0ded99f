import Foundation
import GRDB
import StockpipeCore
import Synchronization

/// A process's hold on a consumer group or a source, renewed by a heartbeat.
struct Lease: Sendable, Hashable {
    var name: String
    var owner: String
    var generation: Int64
}

/// Hands out leases so that one process at a time consumes a group or reads a source. A lease
/// whose holder stopped heartbeating expires; one held by a process of this host that no longer
/// exists (a `kill -9`) is taken over at once.
final class LeaseManager: Sendable {
    static let duration: Int64 = 10_000
    static let heartbeat: Duration = .seconds(2)

    let pool: DatabasePool
    let owner = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UUID().uuidString.prefix(8))"
    let host = ProcessInfo.processInfo.hostName + "#" + ProcessScope.current
    /// Each lease held, its heartbeat, and when a heartbeat last extended it.
    private let held = Mutex<[String: (lease: Lease, heartbeat: Task<Void, Never>, renewed: ContinuousClock.Instant)]>([:])

    init(pool: DatabasePool) {
        self.pool = pool
    }

    func acquire(_ name: String) async throws -> Lease {
        var announced = false
        while true {
            let result: Result<Lease, LeaseHeld> = try await pool.write { [owner, host] db in
                // Read inside the transaction: a write may wait up to the busy timeout for it.
                let now = WallClock.milliseconds()
                if let row = try Row.fetchOne(
                    db, sql: "SELECT owner, host, pid, generation, expires_at FROM leases WHERE name = ?",
                    arguments: [name])
                {
                    let holder: String = row["owner"]
                    let expires: Int64 = row["expires_at"]
                    let pid: Int32 = row["pid"]
                    // `host` carries the boot and the process-id namespace (``ProcessScope``): two
                    // containers may share a host name and process numbers.
                    let sameHostDead =
                        (row["host"] as String) == host && !ProcessScope.current.isEmpty && kill(pid, 0) != 0 && errno == ESRCH
                    if holder != owner, expires > now, !sameHostDead {
                        return .failure(LeaseHeld(pid: pid, host: row["host"]))
                    }
                }
                let generation = (try Int64.fetchOne(db, sql: "SELECT generation FROM leases WHERE name = ?", arguments: [name]) ?? 0) + 1
                try db.execute(
                    sql: """
                        INSERT INTO leases (name, owner, host, pid, generation, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
                            generation = excluded.generation, expires_at = excluded.expires_at
                        """, arguments: [name, owner, host, getpid(), generation, now + Self.duration])
                return .success(Lease(name: name, owner: owner, generation: generation))
            }
            switch result {
            case .success(let lease):
                startHeartbeat(lease)
                return lease
            case .failure(let held):
                if !announced {
                    FileHandle.standardError.write(
                        Data(
                            "stockpipe: waiting for \(name), held by process \(held.pid) on \(held.host.split(separator: "#").first ?? "")\n".utf8))
                    announced = true
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Throws unless `lease` is still held; extends it. Call inside the transaction that publishes.
    func verify(_ lease: Lease, in db: Database, now: Int64) throws {
        try db.execute(
            sql: "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND generation = ?",
            arguments: [now + Self.duration, lease.name, lease.owner, lease.generation])
        if db.changesCount != 1 { throw LogError.leaseLost(lease.name) }
    }

    private func startHeartbeat(_ lease: Lease) {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeat)
                guard !Task.isCancelled, let self else { break }
                if await extend(lease) == false { break }
            }
        }
        held.withLock { $0[lease.name] = (lease, task, ContinuousClock.now) }
    }

    /// Extends `lease` if its row is still this process's and notes when: true; false once
    /// another process took it (then lost for good); nil when the database did not answer.
    private func extend(_ lease: Lease) async -> Bool? {
        let sent = ContinuousClock.now
        let extended = try? await pool.write { db in
            try db.execute(
                sql: "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND generation = ?",
                arguments: [WallClock.milliseconds() + Self.duration, lease.name, lease.owner, lease.generation])
            return db.changesCount == 1
        }
        return held.withLock { held -> Bool? in
            guard held[lease.name]?.lease == lease else { return false }
            if extended == false { held[lease.name] = nil }
            if extended == true { held[lease.name]?.renewed = sent }
            return extended
        }
    }

    /// Whether `lease` is still this process's: not taken over, and extended within two thirds
    /// of its duration (past that another process may take it).
    func isHeld(_ lease: Lease) -> Bool {
        held.withLock { held in
            guard let entry = held[lease.name], entry.lease == lease else { return false }
            return ContinuousClock.now - entry.renewed < .milliseconds(Self.duration * 2 / 3)
        }
    }

    /// Extends `lease` now if the row is still this process's (nobody took it while heartbeats
    /// could not write), trying for up to a lease; false once another process took it.
    func reclaim(_ lease: Lease) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Self.duration)
        while ContinuousClock.now < deadline {
            let held = await extend(lease)
            if let held { return held }
            try? await Task.sleep(for: .seconds(1))
        }
        return false
    }

    func release(_ lease: Lease) async {
        let entry = held.withLock { held in held[lease.name]?.lease == lease ? held.removeValue(forKey: lease.name) : nil }
        entry?.heartbeat.cancel()
        _ = try? await pool.write { db in
            try db.execute(
                sql: "DELETE FROM leases WHERE name = ? AND owner = ? AND generation = ?",
                arguments: [lease.name, lease.owner, lease.generation])
        }
    }

    func releaseAll() async {
        let leases = held.withLock { $0.values.map(\.lease) }
        for lease in leases { await release(lease) }
    }
}

struct LeaseHeld: Error {
    var pid: Int32
    var host: String
}

/// A ``LogHold`` on the embedded log: a lease like those of groups and sources.
struct EmbeddedHold: LogHold {
    let leases: LeaseManager
    let lease: Lease

    var isHeld: Bool { leases.isHeld(lease) }

    func reclaim() async -> Bool { await leases.reclaim(lease) }

    func release() async { await leases.release(lease) }
}
