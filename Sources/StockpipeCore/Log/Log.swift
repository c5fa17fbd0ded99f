/// The log between the stages: durable topics, consumer groups and committed positions.
///
/// Stages only see this protocol, so the embedded SQLite log and Kafka are interchangeable.
/// The contract every backend keeps: a stage publishes its outputs and its input position
/// together through ``LogConsumer/commit(publishing:through:state:)`` (or a source session's
/// ``SourceSession/commit(publishing:checkpoint:)``), and the position is recorded only after the
/// outputs are durable. The embedded log does both in one transaction, so nothing is published twice.
public protocol Log: Sendable {
    /// Joins `group` on `topic`, resuming after the group's last committed position.
    func consumer(group: String, topic: String) async throws -> any LogConsumer
    /// As ``consumer(group:topic:)``, for a run that ends once `topic` is drained (`draining`):
    /// a log whose groups are slow to join may then read every partition itself while the group
    /// has no members, committing as the group would.
    func consumer(group: String, topic: String, draining: Bool) async throws -> any LogConsumer
    /// Takes the source named `name` (one ingest at a time per source) and returns its checkpoint.
    func source(name: String) async throws -> any SourceSession
    /// As ``source(name:)``, for a source that gives the same records again from a checkpoint
    /// (a replay file, the simulator): a log that cannot publish a batch and its checkpoint at
    /// once recognises the records it published after the last checkpoint, and does not publish
    /// them again.
    func source(name: String, replayable: Bool) async throws -> any SourceSession
    /// Waits until this process alone holds `name` among the processes on this log, then holds it
    /// until released or lost: one scheduler per pipeline. A process that dies lets it go (at
    /// once when it leaves, within a lease when it is killed); waiting ends when the task is cancelled.
    ///
    /// ```swift
    /// let hold = try await log.hold("scheduler")
    /// defer { Task { await hold.release() } }
    /// while hold.isHeld { /* act alone */ }
    /// ```
    func hold(_ name: String) async throws -> any LogHold
    /// The largest record value this log accepts. Stages cut bigger ones to a prefix and
    /// quarantine them with their original size, rather than fail.
    var maxRecordBytes: Int { get }
    /// Counts per topic and lag per consumer group.
    func status() async throws -> LogStatus
    /// Removes records older than each topic's retention; returns how many went.
    func enforceRetention(now: Int64) async throws -> Int
    func close() async throws
}

extension Log {
    /// A log whose groups join at once needs nothing more.
    public func consumer(group: String, topic: String, draining: Bool) async throws -> any LogConsumer {
        try await consumer(group: group, topic: topic)
    }

    /// A log that publishes a batch and its checkpoint at once needs nothing more.
    public func source(name: String, replayable: Bool) async throws -> any SourceSession {
        try await source(name: name)
    }
}

/// A hold taken with ``Log/hold(_:)``.
public protocol LogHold: Sendable {
    /// Whether this process holds it now: false once it was not renewed in time (the log was slow
    /// to answer), after which another process may take it over.
    var isHeld: Bool { get }
    /// Takes it again after it went unrenewed, if no other process took it meanwhile, waiting up
    /// to about a lease for the log to answer; false when this process must stop.
    func reclaim() async -> Bool
    func release() async
}

extension LogHold {
    /// Throws ``LogError/holdLost(_:)`` unless the hold is held, or taken again at once.
    public func ensureHeld(_ name: @autoclosure () -> String) async throws {
        if isHeld { return }
        if await reclaim() { return }
        throw LogError.holdLost(name())
    }
}

/// One member of a consumer group, reading one topic.
public protocol LogConsumer: Sendable {
    /// State committed with positions of the inputs this member has just been given: all of it at
    /// the first call; on a partitioned log, after a rebalance, that of the partitions that moved
    /// here. A stage applies it before handling the records of its latest poll.
    func takeResumedState() async -> KeyedState
    /// Waits up to `timeout` for records after the last one returned; an empty array on timeout.
    func poll(maxRecords: Int, timeout: Duration) async throws -> [ConsumedRecord]
    /// Publishes `records`, then marks everything up to and including `last` as consumed, with
    /// `state` saved alongside so that a restarted stage resumes exactly where it stopped.
    ///
    /// Returns once earlier commits are complete; this one may still be on its way (a backend may
    /// overlap one commit's network round trips with the next batch), so call ``flush()`` before
    /// relying on it. Positions are always recorded in order, each after its outputs are durable.
    func commit(publishing records: [OutgoingRecord], through last: ConsumedRecord?, state: KeyedState?) async throws
    /// Waits until every commit made so far is complete; throws if one failed.
    func flush() async throws
    /// Stops fetching while the stage waits for room downstream, without leaving the group
    /// (Kafka drops members that stop polling); ``resume()`` starts again.
    func pause() async
    func resume() async
    /// Records not yet consumed by this group.
    func lag() async throws -> Int64
    func close() async
}

/// Exclusive access to one source (a replay file, the simulator, a feed) with its checkpoint.
public protocol SourceSession: Sendable {
    var checkpoint: SourceCheckpoint? { get }
    /// Publishes `records`, then records the checkpoint; like ``LogConsumer/commit(publishing:through:state:)``
    /// it may return before this commit is complete.
    func commit(publishing records: [OutgoingRecord], checkpoint: SourceCheckpoint) async throws
    /// Waits until every commit made so far is complete; throws if one failed.
    func flush() async throws
    func close() async
}

/// How far a source has been read, and counters that explain it (pings ignored and so on).
public struct SourceCheckpoint: Sendable, Equatable {
    /// Source-specific: a byte offset in a file, a message number for the simulator.
    public var position: Int64
    /// Counters kept with the position, as JSON text.
    public var state: [UInt8]

    public init(position: Int64, state: [UInt8]) {
        self.position = position
        self.state = state
    }
}

public struct LogStatus: Sendable {
    public struct TopicStatus: Sendable {
        public var name: String
        /// Every record ever appended (offsets are never reused).
        public var appended: Int64
        /// Records still held (the rest went through retention).
        public var retained: Int64

        public init(name: String, appended: Int64, retained: Int64) {
            self.name = name
            self.appended = appended
            self.retained = retained
        }
    }

    public struct GroupStatus: Sendable {
        public var group: String
        public var topic: String
        public var position: Int64
        public var lag: Int64

        public init(group: String, topic: String, position: Int64, lag: Int64) {
            self.group = group
            self.topic = topic
            self.position = position
            self.lag = lag
        }
    }

    public struct SourceStatus: Sendable {
        public var name: String
        public var checkpoint: SourceCheckpoint

        public init(name: String, checkpoint: SourceCheckpoint) {
            self.name = name
            self.checkpoint = checkpoint
        }
    }

    public var topics: [TopicStatus]
    public var groups: [GroupStatus]
    public var sources: [SourceStatus]

    public init(topics: [TopicStatus], groups: [GroupStatus], sources: [SourceStatus]) {
        self.topics = topics
        self.groups = groups
        self.sources = sources
    }
}

public enum LogError: Error, CustomStringConvertible {
    case leaseLost(String)
    case holdLost(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .leaseLost(let name): "another process took over \(name); this one stops so it does not publish twice"
        case .holdLost(let name):
            "lost the hold on \(name): another process took it over, or the log did not answer for a whole lease; this one stops so that two never act at once (started again, it waits for its turn)"
        case .corrupt(let detail): "the log is damaged: \(detail)"
        }
    }
}
