/// The containers of ``JSONWriterEncoder``. Each first closes what a nested value left open
/// below it, then writes: a keyed one its key and the value, an unkeyed one the value as the next
/// element, a single-value one the value where the writer stands.
extension JSONWriterEncoder {
    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: JSONWriterEncoder
        let depth: Int
        var codingPath: [any CodingKey] { [] }

        private func key(_ key: Key) {
            encoder.close(deeperThan: depth)
            encoder.writer.key(dynamic: key.stringValue)
        }

        mutating func encodeNil(forKey key: Key) { self.key(key); encoder.writer.null() }
        mutating func encode(_ value: Bool, forKey key: Key) { self.key(key); encoder.write(value) }
        mutating func encode(_ value: String, forKey key: Key) { self.key(key); encoder.write(value) }
        mutating func encode(_ value: Double, forKey key: Key) { self.key(key); encoder.write(value) }
        mutating func encode(_ value: Float, forKey key: Key) { self.key(key); encoder.write(Double(value)) }
        mutating func encode(_ value: Int, forKey key: Key) { self.key(key); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int8, forKey key: Key) { self.key(key); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int16, forKey key: Key) { self.key(key); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) { self.key(key); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) { self.key(key); encoder.write(value) }
        mutating func encode(_ value: UInt, forKey key: Key) { self.key(key); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt8, forKey key: Key) { self.key(key); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt16, forKey key: Key) { self.key(key); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt32, forKey key: Key) { self.key(key); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt64, forKey key: Key) { self.key(key); encoder.write(value) }
        mutating func encode(_ value: some Encodable, forKey key: Key) throws { self.key(key); try encoder.encodeNested(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            self.key(key)
            encoder.openContainer(object: true, at: depth + 1)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, depth: depth + 1))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            self.key(key)
            encoder.openContainer(object: false, at: depth + 1)
            return UnkeyedContainer(encoder: encoder, depth: depth + 1)
        }

        /// A superclass's members go into this object too.
        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: JSONWriterEncoder
        let depth: Int
        private(set) var count = 0
        var codingPath: [any CodingKey] { [] }

        init(encoder: JSONWriterEncoder, depth: Int) {
            self.encoder = encoder
            self.depth = depth
        }

        private mutating func next() {
            encoder.close(deeperThan: depth)
            count += 1
        }

        mutating func encodeNil() { next(); encoder.writer.null() }
        mutating func encode(_ value: Bool) { next(); encoder.write(value) }
        mutating func encode(_ value: String) { next(); encoder.write(value) }
        mutating func encode(_ value: Double) { next(); encoder.write(value) }
        mutating func encode(_ value: Float) { next(); encoder.write(Double(value)) }
        mutating func encode(_ value: Int) { next(); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int8) { next(); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int16) { next(); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int32) { next(); encoder.write(Int64(value)) }
        mutating func encode(_ value: Int64) { next(); encoder.write(value) }
        mutating func encode(_ value: UInt) { next(); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt8) { next(); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt16) { next(); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt32) { next(); encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt64) { next(); encoder.write(value) }
        mutating func encode(_ value: some Encodable) throws { next(); try encoder.encodeNested(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            next()
            encoder.openContainer(object: true, at: depth + 1)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, depth: depth + 1))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            next()
            encoder.openContainer(object: false, at: depth + 1)
            return UnkeyedContainer(encoder: encoder, depth: depth + 1)
        }

        mutating func superEncoder() -> any Encoder { encoder }
    }

    struct ValueContainer: SingleValueEncodingContainer {
        let encoder: JSONWriterEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil() { encoder.writer.null() }
        mutating func encode(_ value: Bool) { encoder.write(value) }
        mutating func encode(_ value: String) { encoder.write(value) }
        mutating func encode(_ value: Double) { encoder.write(value) }
        mutating func encode(_ value: Float) { encoder.write(Double(value)) }
        mutating func encode(_ value: Int) { encoder.write(Int64(value)) }
        mutating func encode(_ value: Int8) { encoder.write(Int64(value)) }
        mutating func encode(_ value: Int16) { encoder.write(Int64(value)) }
        mutating func encode(_ value: Int32) { encoder.write(Int64(value)) }
        mutating func encode(_ value: Int64) { encoder.write(value) }
        mutating func encode(_ value: UInt) { encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt8) { encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt16) { encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt32) { encoder.write(UInt64(value)) }
        mutating func encode(_ value: UInt64) { encoder.write(value) }
        /// The value itself, at the depth of the container that holds it.
        mutating func encode(_ value: some Encodable) throws {
            if let object = value as? any SortedJSONObject { try object.encodeSorted(to: encoder) } else { try value.encode(to: encoder) }
        }
    }
}
