import Foundation
import GRDB
import StockpipeCore
import Synchronization

/// One member of a consumer group on the embedded log. The group's lease makes it the only one.
final class EmbeddedConsumer: LogConsumer {
    let log: EmbeddedLog
    let group: String
    let topic: String
    let lease: Lease
    /// The group's state as last committed, handed to the stage once.
    private let resumed: Mutex<KeyedState?>
    /// The next offset to hand out, and records read ahead of it (the rest of a batch).
    private let cursor: Mutex<(position: Int64, readAhead: [ConsumedRecord])>

    init(log: EmbeddedLog, group: String, topic: String, lease: Lease, position: Int64, state: [UInt8]?) {
        self.log = log
        self.group = group
        self.topic = topic
        self.lease = lease
        self.resumed = Mutex(state.map { KeyedStateCoding.decode($0) } ?? [:])
        self.cursor = Mutex((position, []))
        log.recent.register(ObjectIdentifier(self), topic: topic, position: position)
    }

    func poll(maxRecords: Int, timeout: Duration) async throws -> [ConsumedRecord] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let buffered = cursor.withLock { cursor -> [ConsumedRecord] in
                let taken: [ConsumedRecord]
                if cursor.readAhead.count <= maxRecords {
                    taken = cursor.readAhead
                    cursor.readAhead = []
                } else {
                    taken = Array(cursor.readAhead.prefix(maxRecords))
                    cursor.readAhead.removeFirst(taken.count)
                }
                if let last = taken.last { cursor.position = last.offset + 1 }
                return taken
            }
            if !buffered.isEmpty { return buffered }
            let generation = log.appended.generation(of: topic)
            let from = cursor.withLock { $0.position }
            let (records, start) =
                if let recent = log.recent.read(ObjectIdentifier(self), topic: topic, from: from, limit: maxRecords) {
                    (recent, from)
                } else {
                    try await log.read(topic: topic, from: from, limit: maxRecords)
                }
            if start > from {
                FileHandle.standardError.write(
                    Data(
                        "stockpipe: group \(group) skipped \(start - from) records of \(topic) removed by retention before it read them\n".utf8))
            }
            if !records.isEmpty {
                cursor.withLock { $0.readAhead = records }
                continue
            }
            if clock.now >= deadline || Task.isCancelled { return [] }
            await log.appended.wait(for: topic, after: generation, timeout: min(log.configuration.idlePoll, deadline - clock.now))
        }
    }

    func takeResumedState() async -> KeyedState {
        resumed.withLock { resumed in
            defer { resumed = nil }
            return resumed ?? [:]
        }
    }

    func commit(publishing records: [OutgoingRecord], through last: ConsumedRecord?, state keyed: KeyedState?) async throws {
        let state = keyed.map { KeyedStateCoding.encode($0) }
        let now = WallClock.milliseconds()
        let (group, topic) = (self.group, self.topic)
        try await log.commit(records, lease: lease) { db in
            if let last {
                try db.execute(
                    sql: """
                        INSERT INTO group_positions (group_name, topic, partition, next_offset, committed_at)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT DO UPDATE SET next_offset = excluded.next_offset, committed_at = excluded.committed_at
                        """, arguments: [group, topic, last.partition, last.offset + 1, now])
            }
            if let state {
                try db.execute(
                    sql: """
                        INSERT INTO group_state (group_name, state) VALUES (?, ?)
                        ON CONFLICT DO UPDATE SET state = excluded.state
                        """, arguments: [group, Data(state)])
            }
        }
    }

    /// Commits are complete when they return.
    func flush() async throws {}

    /// Nothing is fetched ahead of `poll`, and a lease does not depend on polling.
    func pause() async {}
    func resume() async {}

    func lag() async throws -> Int64 {
        let end = try await log.endOffset(topic: topic)
        return end - cursor.withLock { $0.position }
    }

    func close() async {
        log.recent.unregister(ObjectIdentifier(self))
        await log.leases.release(lease)
    }

    /// A stage that failed may drop its consumer without closing it: the batches kept for it go too.
    deinit {
        log.recent.unregister(ObjectIdentifier(self))
    }
}

/// Exclusive access to one source on the embedded log.
final class EmbeddedSourceSession: SourceSession {
    let log: EmbeddedLog
    let name: String
    let lease: Lease
    let checkpoint: SourceCheckpoint?

    init(log: EmbeddedLog, name: String, lease: Lease, checkpoint: SourceCheckpoint?) {
        self.log = log
        self.name = name
        self.lease = lease
        self.checkpoint = checkpoint
    }

    func commit(publishing records: [OutgoingRecord], checkpoint: SourceCheckpoint) async throws {
        let now = WallClock.milliseconds()
        let name = self.name
        try await log.commit(records, lease: lease) { db in
            try db.execute(
                sql: """
                    INSERT INTO source_checkpoints (name, position, state, committed_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET position = excluded.position, state = excluded.state,
                        committed_at = excluded.committed_at
                    """, arguments: [name, checkpoint.position, Data(checkpoint.state), now])
        }
    }

    /// Commits are complete when they return.
    func flush() async throws {}

    func close() async {
        await log.leases.release(lease)
    }
}
