/// The one JSON form of everything stockpipe answers with outside the topics: the API's
/// responses, the live feed's events and every `--json` output of the CLI. Their shapes are
/// `Encodable` types, written by ``JSONWriterEncoder`` through the same ``JSONWriter`` as the
/// records on the topics: members in the type's order, dictionaries by key, numbers as the topics
/// have them.
public enum JSONOutput {
    public static func bytes(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONWriterEncoder()
        try encoder.encodeDocument(value)
        return encoder.writer.bytes
    }

    public static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONWriterEncoder()
        try encoder.encodeDocument(value)
        return encoder.writer.string
    }
}

/// An optional member written as `null` when absent, where a synthesized `Encodable` would leave
/// it out: for fields a client reads as present (`"vwap": null`).
@propertyWrapper
public struct NullWhenAbsent<Value: Encodable>: Encodable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension NullWhenAbsent: Sendable where Value: Sendable {}
extension NullWhenAbsent: Equatable where Value: Equatable {}

/// The members of `base` and of `extra` in one object: for a document that adds members to
/// another (`/api/v1/status` is `stockpipe status --json` plus `pipeline`).
public struct JSONMerged<Base: Encodable, Extra: Encodable>: Encodable {
    public var base: Base
    public var extra: Extra

    public init(_ base: Base, _ extra: Extra) {
        self.base = base
        self.extra = extra
    }

    public func encode(to encoder: any Encoder) throws {
        try base.encode(to: encoder)
        try extra.encode(to: encoder)
    }
}

extension JSONMerged: Sendable where Base: Sendable, Extra: Sendable {}
