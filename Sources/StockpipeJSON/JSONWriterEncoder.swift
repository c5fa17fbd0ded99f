/// An `Encoder` that writes straight into a ``JSONWriter``, with no tree in between: the documents
/// are `Encodable` types, and encoding them costs about what writing them by hand did.
///
/// Members come out in the order the type encodes them (its declaration order, for a synthesized
/// `Encodable`); a `[String: V]` dictionary's members by key, so a document reads the same on
/// every run. Numbers are written as ``JSONWriter/number(_:)`` writes them: whole ones as integers
/// (so `-0` is `0`), a non-finite one as `null`.
///
/// The encoding is a stream: a container stays open until something is written at its depth or
/// above, or the document ends. A type that asks for a second keyed container at the same depth
/// (``JSONMerged``) goes on writing into the first.
final class JSONWriterEncoder: Encoder {
    var writer = JSONWriter(capacity: 4_096)
    /// The containers open, innermost last: their depth, and whether each is an object.
    private var open: [(depth: Int, object: Bool)] = []
    /// The depth at which the value being encoded puts its container.
    private var depth = 0

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Writes `value` as one document.
    func encodeDocument(_ value: some Encodable) throws {
        try encodeNested(value)
        close(deeperThan: -1)
    }

    /// Writes `value` where the writer stands (after a key, or as an array element), one level down.
    func encodeNested(_ value: some Encodable) throws {
        let outer = depth
        depth = outer + 1
        defer {
            close(deeperThan: outer)
            depth = outer
        }
        if let object = value as? any SortedJSONObject {
            try object.encodeSorted(to: self)
        } else {
            try value.encode(to: self)
        }
    }

    /// Closes what is open below `depth`: a nested container is done once its parent writes again.
    func close(deeperThan depth: Int) {
        while let last = open.last, last.depth > depth {
            if last.object { writer.objectEnd() } else { writer.arrayEnd() }
            open.removeLast()
        }
    }

    /// Opens an object or array at `depth`, or goes on with the one open there.
    func openContainer(object: Bool, at depth: Int) {
        close(deeperThan: depth)
        if let last = open.last, last.depth == depth, last.object == object { return }
        if object { writer.objectStart() } else { writer.arrayStart() }
        open.append((depth, object))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        openContainer(object: true, at: depth)
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, depth: depth))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        openContainer(object: false, at: depth)
        return UnkeyedContainer(encoder: self, depth: depth)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        ValueContainer(encoder: self)
    }

    // MARK: Scalars

    func write(_ value: Bool) { writer.bool(value) }
    func write(_ value: String) { writer.string(value) }
    func write(_ value: Double) { writer.number(value) }
    func write(_ value: Int64) { writer.integer(value) }
    /// An unsigned number beyond `Int64` as a double: JSON numbers have no width.
    func write(_ value: UInt64) {
        if let exact = Int64(exactly: value) { writer.integer(exact) } else { writer.number(Double(value)) }
    }
}

/// A dictionary keyed by text, written with its keys in order.
protocol SortedJSONObject {
    func encodeSorted(to encoder: JSONWriterEncoder) throws
}

extension Dictionary: SortedJSONObject where Key == String, Value: Encodable {
    func encodeSorted(to encoder: JSONWriterEncoder) throws {
        var container = encoder.container(keyedBy: TextKey.self)
        for (key, value) in sorted(by: { $0.key < $1.key }) {
            try container.encode(value, forKey: TextKey(stringValue: key))
        }
    }
}

/// A key that is any text.
struct TextKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
