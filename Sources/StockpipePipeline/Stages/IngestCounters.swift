import Foundation
import StockpipeCore

/// What ingest has seen of a source, kept with its checkpoint so that `status` can account for
/// every message, including the ones deliberately not staged.
public struct IngestCounters: Codable, Sendable, Equatable {
    public var messages = 0
    /// Trade elements staged.
    public var trades = 0
    /// Messages staged whole to be quarantined as `malformed`.
    public var malformed = 0
    /// Keep-alives, ignored.
    public var pings = 0
    /// `{"type":"error"}` messages, reported and not stored.
    public var errors = 0
    /// Trade messages with no trades.
    public var empty = 0
    /// REST quotes staged.
    public var quotes = 0
    /// Not a counter: which file the checkpoint's position belongs to (replay sources), so that a
    /// replaced file is not read from the old one's offset. Absent from checkpoints saved before.
    public var file: SourceMark?

    public init() {}

    /// Counters saved before a field existed read as 0.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func read(_ key: CodingKeys) throws -> Int { try container.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        (messages, trades, malformed, pings, errors, empty, quotes) =
            (
                try read(.messages), try read(.trades), try read(.malformed), try read(.pings), try read(.errors), try read(.empty),
                try read(.quotes)
            )
        file = try? container.decodeIfPresent(SourceMark.self, forKey: .file)
    }

    public init(json: [UInt8]?) {
        self = json.flatMap { try? JSONDecoder().decode(IngestCounters.self, from: Data($0)) } ?? IngestCounters()
    }

    public func json() -> [UInt8] {
        (try? [UInt8](JSONEncoder().encode(self))) ?? []
    }

    /// Records this source put on `staging`.
    public var staged: Int { trades + malformed + quotes }
}
