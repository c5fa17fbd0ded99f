/// A place messages come from, described by value so it can be handed to a stage.
///
/// The stage opens it at its checkpoint and reads it from one task; readers need not be `Sendable`.
public protocol FeedSource: Sendable {
    /// The durable name its checkpoint is kept under, e.g. `replay:/data/f.ndjson`.
    var name: String { get }
    /// Opens the source just after `position` (a value an earlier reader returned), or at its start.
    func open(at position: Int64?) throws -> any FeedReader
    /// As ``open(at:)``, with the ``FeedReader/mark`` saved beside `position`, which tells whether
    /// `position` still means the same place (a replay file may have been replaced since).
    func open(at position: Int64?, mark: SourceMark?) throws -> any FeedReader
    /// Whether reading again from a position gives the same messages (a file, a seeded
    /// simulator), not new ones (a live feed).
    var replayable: Bool { get }
}

extension FeedSource {
    public var replayable: Bool { false }

    /// Sources whose positions cannot go stale need no mark.
    public func open(at position: Int64?, mark: SourceMark?) throws -> any FeedReader {
        try open(at: position)
    }
}

/// Reads messages from an open source, in order.
public protocol FeedReader {
    /// Up to `maxMessages` messages. An empty array means nothing is available yet; `nil` means
    /// the source is finished (the end of a replay file, the simulator's limit).
    mutating func next(maxMessages: Int) async throws -> [FeedMessageText]?
    /// The position just after the last message returned, to be checkpointed with it.
    var position: Int64 { get }
    /// What identifies the thing `position` points into, to be checkpointed with it; nil when
    /// the position alone is enough.
    var mark: SourceMark? { get }
}

extension FeedReader {
    public var mark: SourceMark? { nil }
}

/// Which file a replay position belongs to: its identity, and a digest of its start, so that a
/// file replaced at the same path (or rewritten in place, or truncated) is not read from an
/// offset that belonged to the old one. Kept in the checkpoint's state as JSON.
public struct SourceMark: Codable, Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    /// How many bytes at the start of the file ``head`` covers: the first 4 KiB, or all bytes
    /// up to the position if that is less.
    public var headBytes: Int
    /// A 64-bit digest of those bytes, in hex.
    public var head: String
    /// How many times the source was read again from the start of a new file (a replaced or
    /// truncated one); part of the labels, so records of different files never share an origin.
    public var generation: Int

    public init(device: UInt64, inode: UInt64, headBytes: Int, head: String, generation: Int) {
        self.device = device
        self.inode = inode
        self.headBytes = headBytes
        self.head = head
        self.generation = generation
    }
}

/// The text of one message as received, and where it was in its source.
public struct FeedMessageText: Sendable {
    public var bytes: [UInt8]
    /// Where it was in the source, e.g. the line number of a replay file.
    public var label: String
    /// Set when the message was larger than the size limit and `bytes` is only its beginning.
    public var originalSize: Int?

    public init(bytes: [UInt8], label: String, originalSize: Int? = nil) {
        self.bytes = bytes
        self.label = label
        self.originalSize = originalSize
    }
}
