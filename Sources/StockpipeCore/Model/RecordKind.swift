/// What a `staging` record holds, as its ``Header/kind`` header says.
public enum RecordKind: String, Sendable, CaseIterable {
    /// One trade of a feed message: the element's JSON text.
    case trade
    /// A REST quote as the quote poller stages it.
    case quote
    /// A message that could not be split (or was cut at the size limit), staged whole to be
    /// quarantined as `malformed`.
    case raw
}

extension RecordHeader {
    /// The ``Header/kind`` header.
    public init(kind: RecordKind) {
        self.init(Header.kind, kind.rawValue)
    }
}

extension Array where Element == RecordHeader {
    /// The record's kind; nil when the header is missing or names no known kind (a record of
    /// another producer).
    public var kind: RecordKind? {
        // Plain comparisons: this runs for every record, and init(rawValue:) costs more.
        switch self[header: Header.kind] {
        case "trade": .trade
        case "quote": .quote
        case "raw": .raw
        default: nil
        }
    }
}
