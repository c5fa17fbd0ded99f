import StockpipeJSON

/// Stage state kept per record key (for validate: each symbol's last accepted price), so that on a
/// partitioned log each key's state can move with the key's partition when a group rebalances.
public typealias KeyedState = [String: String]

/// The stored form of a ``KeyedState``: a JSON object of strings, keys sorted.
public enum KeyedStateCoding {
    public static func encode<Entries: Sequence>(_ entries: Entries) -> [UInt8] where Entries.Element == (key: String, value: String) {
        var writer = JSONWriter(capacity: 256)
        writer.objectStart()
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            writer.key(dynamic: key)
            writer.string(value)
        }
        writer.objectEnd()
        return writer.bytes
    }

    /// The entries that can be read; anything else (an older format, damage) is left out.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> KeyedState {
        var entries: KeyedState = [:]
        var reader = JSONReader(bytes)
        try? reader.forEachMember { key, reader in
            if reader.peekKind() == .string { entries[key.string] = try reader.readString() } else { try reader.skipValue() }
        }
        return entries
    }

    public static func decode(_ bytes: [UInt8]) -> KeyedState {
        bytes.withUnsafeBytes { decode($0) }
    }
}
