import Foundation
import StockpipeCore

/// The embedded log stores records in batches, one SQLite row per batch, as Kafka does on disk:
/// per-record SQLite rows would cost more than the whole rest of the pipeline.
///
/// Layout: a version byte, then per record: key and value (LEB128 length + bytes), the header
/// count, the headers, and the timestamp as a zigzag varint. Headers are stored against the same
/// header of the previous record: a name repeats as a single 0 byte, and a value as the length of
/// the prefix it shares plus the rest (`replay:/data/f.ndjson:@1234#7` after `...#6` costs 3 bytes).
/// Decoding reuses the previous record's name strings.
enum RecordBatch {
    static let version: UInt8 = 2
    static let maxRecords = 4_096

    /// Encodes `records[indices]` as one batch.
    static func encode(_ records: UnsafeBufferPointer<OutgoingRecord>, indices: ArraySlice<Int>) -> Data {
        var out = ByteWriter(capacity: indices.reduce(1) { $0 + records[$1].value.count + 96 })
        out.put(version)
        var previous: Int?
        for position in indices {
            out.putUTF8(records[position].key)
            records[position].value.withUnsafeBufferPointer { value in
                out.putVarint(UInt64(value.count))
                out.put(value)
            }
            records[position].headers.withUnsafeBufferPointer { headers in
                out.putVarint(UInt64(headers.count))
                let earlier = previous.map { records[$0].headers } ?? []
                for index in headers.indices {
                    let before = index < earlier.count ? earlier[index] : nil
                    if let before, before.name == headers[index].name {
                        out.put(0)
                    } else {
                        out.putUTF8(headers[index].name, lengthBias: 1)
                    }
                    let shared = before.map { sharedPrefix($0.value, headers[index].value) } ?? 0
                    out.putVarint(UInt64(shared))
                    out.putUTF8(headers[index].value, dropping: shared)
                }
            }
            previous = position
            let timestamp = records[position].timestamp
            out.putVarint(UInt64(bitPattern: (timestamp << 1) ^ (timestamp >> 63)))
        }
        return out.data
    }

    /// Decodes the records of one batch, skipping those before `firstOffset`.
    static func decode(
        _ blob: [UInt8], topic: String, partition: Int32, baseOffset: Int64, firstOffset: Int64, limit: Int
    ) throws -> [ConsumedRecord] {
        try blob.withUnsafeBytes { buffer in
            guard buffer.first == version else { throw LogError.corrupt("batch at \(topic)@\(baseOffset) has an unknown version") }
            var cursor = 1
            var offset = baseOffset
            var records: [ConsumedRecord] = []
            var previous: [RecordHeader] = []
            while cursor < buffer.count, records.count < limit {
                let key = try readBytes(buffer, &cursor)
                let value = try readBytes(buffer, &cursor)
                let headerCount = Int(try readVarint(buffer, &cursor))
                var headers: [RecordHeader] = []
                headers.reserveCapacity(headerCount)
                for index in 0..<headerCount {
                    let before = index < previous.count ? previous[index] : nil
                    let nameLength = Int(try readVarint(buffer, &cursor))
                    let name: String
                    if nameLength == 0 {
                        guard let before else { throw LogError.corrupt("header refers to a missing previous header") }
                        name = before.name
                    } else {
                        guard nameLength - 1 <= buffer.count - cursor else { throw LogError.corrupt("truncated record batch") }
                        name = String(
                            decoding: UnsafeRawBufferPointer(rebasing: buffer[cursor..<(cursor + nameLength - 1)]),
                            as: UTF8.self)
                        cursor += nameLength - 1
                    }
                    let shared = Int(try readVarint(buffer, &cursor))
                    let rest = try readBytes(buffer, &cursor)
                    let value: String
                    if shared == 0 {
                        value = String(decoding: rest, as: UTF8.self)
                    } else {
                        guard var earlier = before?.value, shared <= earlier.utf8.count else {
                            throw LogError.corrupt("bad header prefix")
                        }
                        value = earlier.withUTF8 { prefix in
                            String(unsafeUninitializedCapacity: shared + rest.count) { target in
                                _ = target.initialize(from: prefix[..<shared])
                                _ = UnsafeMutableBufferPointer(rebasing: target[shared...])
                                    .initialize(from: rest.bindMemory(to: UInt8.self))
                                return shared + rest.count
                            }
                        }
                    }
                    headers.append(RecordHeader(name, value))
                }
                previous = headers
                let zigzag = try readVarint(buffer, &cursor)
                let timestamp = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                if offset < firstOffset {
                    offset += 1
                    continue
                }
                records.append(
                    ConsumedRecord(
                        topic: topic, partition: partition, offset: offset,
                        key: String(decoding: key, as: UTF8.self), value: Array(value),
                        headers: headers, timestamp: timestamp))
                offset += 1
            }
            return records
        }
    }

    private static func sharedPrefix(_ left: String, _ right: String) -> Int {
        var left = left
        var right = right
        return left.withUTF8 { left in
            right.withUTF8 { right in
                var count = 0
                let limit = min(left.count, right.count)
                while count < limit, left[count] == right[count] { count += 1 }
                return count
            }
        }
    }

    private static func readVarint(_ buffer: UnsafeRawBufferPointer, _ cursor: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while cursor < buffer.count, shift < 64 {
            let byte = buffer[cursor]
            cursor += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw LogError.corrupt("truncated record batch")
    }

    private static func readBytes(_ buffer: UnsafeRawBufferPointer, _ cursor: inout Int) throws -> UnsafeRawBufferPointer {
        let count = Int(try readVarint(buffer, &cursor))
        guard count <= buffer.count - cursor else { throw LogError.corrupt("truncated record batch") }
        defer { cursor += count }
        return UnsafeRawBufferPointer(rebasing: buffer[cursor..<(cursor + count)])
    }
}

/// Writes bytes, varints and strings into raw memory it owns and grows, for building batches
/// without per-byte array costs.
struct ByteWriter: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count: Int

    init(capacity initialCapacity: Int) {
        let size = max(initialCapacity, 64)
        storage = .allocate(capacity: size)
        capacity = size
        count = 0
    }

    deinit { storage.deallocate() }

    var data: Data { Data(bytes: storage, count: count) }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let newCapacity = max(count + extra, capacity * 2)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        larger.update(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity = newCapacity
    }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let base = bytes.baseAddress { (storage + count).update(from: base, count: bytes.count) }
        count += bytes.count
    }

    mutating func putVarint(_ value: UInt64) {
        reserve(10)
        var value = value
        while value >= 0x80 {
            storage[count] = UInt8(truncatingIfNeeded: value) | 0x80
            count += 1
            value >>= 7
        }
        storage[count] = UInt8(value)
        count += 1
    }

    /// The UTF-8 of `string` after its first `dropping` bytes, preceded by their count plus
    /// `lengthBias`; reads the string in place rather than copying it.
    mutating func putUTF8(_ string: String, lengthBias: UInt64 = 0, dropping: Int = 0) {
        let utf8 = string.utf8
        let written: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            putVarint(UInt64(bytes.count - dropping) + lengthBias)
            put(UnsafeBufferPointer(rebasing: bytes[dropping...]))
        }
        if written == nil {
            let bytes = Array(utf8.dropFirst(dropping))
            putVarint(UInt64(bytes.count) + lengthBias)
            bytes.withUnsafeBufferPointer { put($0) }
        }
    }
}
