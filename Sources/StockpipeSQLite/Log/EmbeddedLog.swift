import Foundation
import GRDB
import StockpipeCore

/// The log on one SQLite file (`log.sqlite` in the data directory), safe for several processes.
///
/// Records live in batches (see ``RecordBatch``). A stage's outputs, its input position and its
/// state are written in one transaction, so a crash at any point leaves either all or none of them:
/// the embedded log publishes each output exactly once. Each consumer group and each source is
/// held by one process at a time through a lease, which fences a process that lost it.
public final class EmbeddedLog: Log {
    public struct Configuration: Sendable {
        public var path: String
        /// Retention per topic in milliseconds; topics not listed keep records forever.
        public var retention: [String: Int64]
        /// How often an idle consumer looks for new records.
        public var idlePoll: Duration

        public init(path: String, retention: [String: Int64] = [:], idlePoll: Duration = .milliseconds(20)) {
            self.path = path
            self.retention = retention
            self.idlePoll = idlePoll
        }
    }

    let pool: DatabasePool
    let configuration: Configuration
    let leases: LeaseManager
    let appended = AppendSignal()
    let recent = RecentBatches()

    public init(_ configuration: Configuration) throws {
        var options = GRDB.Configuration()
        options.busyMode = .timeout(30)
        // WAL with NORMAL sync survives a killed process with every committed transaction; an OS
        // crash may lose the last few, but together with the positions they imply, never apart.
        // Rows are whole batches of records: 64 KiB pages (set when the file is made) chain and
        // write far fewer overflow pages than the default 4 KiB.
        options.prepareDatabase { db in try db.execute(sql: "PRAGMA page_size = 65536; PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: configuration.path, configuration: options)
            try Self.migrator.migrate(pool, lockingBeside: configuration.path)
        } catch {
            throw DamagedDatabaseError.from(error, path: configuration.path)
        }
        self.configuration = configuration
        leases = LeaseManager(pool: pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE partitions (
                        topic TEXT NOT NULL, partition INTEGER NOT NULL,
                        start_offset INTEGER NOT NULL DEFAULT 0, next_offset INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (topic, partition));
                    CREATE TABLE batches (
                        id INTEGER PRIMARY KEY, topic TEXT NOT NULL, partition INTEGER NOT NULL,
                        base_offset INTEGER NOT NULL, last_offset INTEGER NOT NULL,
                        appended_at INTEGER NOT NULL, payload BLOB NOT NULL);
                    CREATE UNIQUE INDEX batches_by_offset ON batches (topic, partition, last_offset);
                    CREATE TABLE group_positions (
                        group_name TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
                        next_offset INTEGER NOT NULL, committed_at INTEGER NOT NULL,
                        PRIMARY KEY (group_name, topic, partition));
                    CREATE TABLE group_state (group_name TEXT PRIMARY KEY, state BLOB);
                    CREATE TABLE source_checkpoints (
                        name TEXT PRIMARY KEY, position INTEGER NOT NULL, state BLOB NOT NULL,
                        committed_at INTEGER NOT NULL);
                    CREATE TABLE leases (
                        name TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
                        generation INTEGER NOT NULL, expires_at INTEGER NOT NULL);
                    """)
            for topic in Topic.all {
                try db.execute(sql: "INSERT INTO partitions (topic, partition) VALUES (?, 0)", arguments: [topic])
            }
        }
        return migrator
    }

    public func consumer(group: String, topic: String) async throws -> any LogConsumer {
        let lease = try await leases.acquire("group \(group) on \(topic)")
        let (position, state) = try await pool.checkedRead { db in
            let position =
                try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT next_offset FROM group_positions WHERE group_name = ? AND topic = ? AND partition = 0
                        """, arguments: [group, topic]) ?? 0
            let state = try Data.fetchOne(db, sql: "SELECT state FROM group_state WHERE group_name = ?", arguments: [group])
            return (position, state.map { [UInt8]($0) })
        }
        return EmbeddedConsumer(log: self, group: group, topic: topic, lease: lease, position: position, state: state)
    }

    public func source(name: String) async throws -> any SourceSession {
        let lease = try await leases.acquire("source \(name)")
        let checkpoint = try await pool.checkedRead { db in
            try Row.fetchOne(db, sql: "SELECT position, state FROM source_checkpoints WHERE name = ?", arguments: [name])
                .map { SourceCheckpoint(position: $0["position"], state: [UInt8]($0["state"] as Data)) }
        }
        return EmbeddedSourceSession(log: self, name: name, lease: lease, checkpoint: checkpoint)
    }

    public func hold(_ name: String) async throws -> any LogHold {
        EmbeddedHold(leases: leases, lease: try await leases.acquire(name))
    }

    /// Appends the records and runs `progress` in one transaction, if `lease` is still ours.
    func commit(_ records: [OutgoingRecord], lease: Lease, progress: @escaping @Sendable (Database) throws -> Void) async throws {
        var byTopic: [String: [Int]] = [:]
        for index in records.indices { byTopic[records[index].topic, default: []].append(index) }
        // Bounded batches keep a consumer's reads (and its memory) small whatever a producer sends.
        let encoded = records.withUnsafeBufferPointer { buffer in
            byTopic.sorted { $0.key < $1.key }.flatMap { topic, indices in
                stride(from: 0, to: indices.count, by: RecordBatch.maxRecords).map { start in
                    let chunk = indices[start..<min(start + RecordBatch.maxRecords, indices.count)]
                    return (topic: topic, indices: chunk, blob: RecordBatch.encode(buffer, indices: chunk))
                }
            }
        }
        let now = WallClock.milliseconds()
        let baseOffsets = try await pool.checkedWrite { db in
            try self.leases.verify(lease, in: db, now: now)
            var baseOffsets: [Int64] = []
            for batch in encoded {
                let next = try Int64.fetchOne(
                    db, sql: "SELECT next_offset FROM partitions WHERE topic = ? AND partition = 0",
                    arguments: [batch.topic])
                guard let next else { throw LogError.corrupt("unknown topic \(batch.topic)") }
                let last = next + Int64(batch.indices.count) - 1
                try db.execute(
                    sql: """
                        INSERT INTO batches (topic, partition, base_offset, last_offset, appended_at, payload)
                        VALUES (?, 0, ?, ?, ?, ?)
                        """, arguments: [batch.topic, next, last, now, batch.blob])
                try db.execute(
                    sql: "UPDATE partitions SET next_offset = ? WHERE topic = ? AND partition = 0",
                    arguments: [last + 1, batch.topic])
                baseOffsets.append(next)
            }
            try progress(db)
            return baseOffsets
        }
        let read = Set(encoded.map(\.topic)).filter(recent.isRead)
        recent.keep(
            zip(encoded, baseOffsets).filter { read.contains($0.0.topic) }.map { batch, base in
                let bytes = batch.blob.count + RecentBatches.recordOverhead * batch.indices.count
                // One topic: the chunk's indices run without gaps, so it is kept as a range of
                // `records` rather than a copy.
                if byTopic.count == 1, let first = batch.indices.first, let last = batch.indices.last {
                    return (batch.topic, RecentBatches.Batch(baseOffset: base, records: records, range: first..<(last + 1), bytes: bytes))
                }
                let kept = batch.indices.map { records[$0] }
                return (batch.topic, RecentBatches.Batch(baseOffset: base, records: kept, range: kept.indices, bytes: bytes))
            })
        appended.notify(encoded.map(\.topic))
    }

    /// Reads records of `topic` from `offset` on, whole batches at a time, stopping at the first
    /// batch boundary after `limit` records.
    func read(topic: String, from offset: Int64, limit: Int) async throws -> (records: [ConsumedRecord], start: Int64) {
        try await pool.checkedRead { db in
            let start =
                try Int64.fetchOne(
                    db, sql: "SELECT start_offset FROM partitions WHERE topic = ? AND partition = 0",
                    arguments: [topic]) ?? 0
            let from = max(offset, start)
            var records: [ConsumedRecord] = []
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT base_offset, payload FROM batches
                    WHERE topic = ? AND partition = 0 AND last_offset >= ? ORDER BY last_offset
                    """, arguments: [topic, from])
            while records.count < limit, let row = try rows.next() {
                let payload: Data = row["payload"]
                records += try RecordBatch.decode(
                    [UInt8](payload), topic: topic, partition: 0, baseOffset: row["base_offset"],
                    firstOffset: from + Int64(records.count), limit: .max)
            }
            return (records, start)
        }
    }

    func endOffset(topic: String) async throws -> Int64 {
        try await pool.checkedRead { db in
            try Int64.fetchOne(
                db, sql: "SELECT next_offset FROM partitions WHERE topic = ? AND partition = 0",
                arguments: [topic]) ?? 0
        }
    }

    /// No limit of the format's own; this one keeps a single record from taking over memory.
    public var maxRecordBytes: Int { 16 << 20 }

    public func status() async throws -> LogStatus {
        try await pool.checkedRead { db in
            let topics = try Row.fetchAll(db, sql: "SELECT topic, start_offset, next_offset FROM partitions ORDER BY rowid")
                .map { row -> LogStatus.TopicStatus in
                    let start: Int64 = row["start_offset"]
                    let next: Int64 = row["next_offset"]
                    return LogStatus.TopicStatus(name: row["topic"], appended: next, retained: next - start)
                }
            let groups = try Row.fetchAll(
                db,
                sql: """
                    SELECT g.group_name, g.topic, g.next_offset, p.next_offset AS end_offset
                    FROM group_positions g JOIN partitions p ON p.topic = g.topic AND p.partition = g.partition
                    ORDER BY g.group_name
                    """
            ).map { row -> LogStatus.GroupStatus in
                let position: Int64 = row["next_offset"]
                let end: Int64 = row["end_offset"]
                return LogStatus.GroupStatus(
                    group: row["group_name"], topic: row["topic"], position: position,
                    lag: end - position)
            }
            let sources = try Row.fetchAll(db, sql: "SELECT name, position, state FROM source_checkpoints ORDER BY name")
                .map { row in
                    LogStatus.SourceStatus(
                        name: row["name"],
                        checkpoint: SourceCheckpoint(
                            position: row["position"], state: [UInt8](row["state"] as Data)))
                }
            return LogStatus(topics: topics, groups: groups, sources: sources)
        }
    }

    public func enforceRetention(now: Int64) async throws -> Int {
        let retention = configuration.retention
        return try await pool.checkedWrite { db in
            var removed = 0
            for (topic, keep) in retention {
                let cutoff = now - keep
                guard
                    let newStart = try Int64.fetchOne(
                        db,
                        sql: """
                            SELECT MAX(last_offset) + 1 FROM batches WHERE topic = ? AND partition = 0 AND appended_at < ?
                            """, arguments: [topic, cutoff])
                else { continue }
                let oldStart =
                    try Int64.fetchOne(
                        db, sql: "SELECT start_offset FROM partitions WHERE topic = ?",
                        arguments: [topic]) ?? 0
                try db.execute(
                    sql: "DELETE FROM batches WHERE topic = ? AND partition = 0 AND last_offset < ?",
                    arguments: [topic, newStart])
                try db.execute(
                    sql: "UPDATE partitions SET start_offset = ? WHERE topic = ? AND partition = 0",
                    arguments: [newStart, topic])
                removed += Int(max(0, newStart - oldStart))
            }
            return removed
        }
    }

    public func close() async throws {
        await leases.releaseAll()
        pool.checkpointForClose()
        try pool.close()
    }
}
