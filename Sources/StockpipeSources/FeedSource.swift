/// A place messages come from, described by value so it can be handed to a stage.
///
/// The stage opens it at its checkpoint and reads it from one task; readers need not be `Sendable`.
public protocol FeedSource: Sendable {
    /// The durable name its checkpoint is kept under, e.g. `replay:/data/f.ndjson`.
    var name: String { get }
    /// Opens the source just after `position` (a value an earlier reader returned), or at its start.
    func open(at position: Int64?) throws -> any FeedReader
}

/// Reads messages from an open source, in order.
public protocol FeedReader {
    /// Up to `maxMessages` messages. An empty array means nothing is available yet; `nil` means
    /// the source is finished (the end of a replay file, the simulator's limit).
    mutating func next(maxMessages: Int) async throws -> [FeedMessageText]?
    /// The position just after the last message returned, to be checkpointed with it.
    var position: Int64 { get }
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

/// A problem with a source that the user can fix.
public struct SourceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
