import StockpipeModel

/// The embedded log stores records in batches, one SQLite row per batch, as Kafka does on disk:
/// per-record SQLite rows would cost more than the whole rest of the pipeline.
///
/// Layout: a version byte, then per record: key, value, header count, (name, value) pairs, each
/// length-prefixed with a LEB128 varint, and the timestamp as a zigzag varint.
enum RecordBatch {
    static let version: UInt8 = 1
    static let maxRecords = 4_096

    static func encode(_ records: ArraySlice<OutgoingRecord>) -> [UInt8] {
        var out: [UInt8] = [version]
        out.reserveCapacity(records.reduce(1) { $0 + $1.value.count + $1.key.utf8.count + 64 })
        for record in records {
            appendBytes(record.key.utf8, to: &out)
            appendBytes(record.value, to: &out)
            appendVarint(UInt64(record.headers.count), to: &out)
            for header in record.headers {
                appendBytes(header.name.utf8, to: &out)
                appendBytes(header.value.utf8, to: &out)
            }
            appendVarint(UInt64(bitPattern: (record.timestamp << 1) ^ (record.timestamp >> 63)), to: &out)
        }
        return out
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
            while cursor < buffer.count, records.count < limit {
                let key = try readBytes(buffer, &cursor)
                let value = try readBytes(buffer, &cursor)
                let headerCount = Int(try readVarint(buffer, &cursor))
                if offset < firstOffset {
                    for _ in 0..<(headerCount * 2) { _ = try readBytes(buffer, &cursor) }
                    _ = try readVarint(buffer, &cursor)
                    offset += 1
                    continue
                }
                var headers: [RecordHeader] = []
                headers.reserveCapacity(headerCount)
                for _ in 0..<headerCount {
                    let name = try readBytes(buffer, &cursor)
                    let value = try readBytes(buffer, &cursor)
                    headers.append(RecordHeader(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
                }
                let zigzag = try readVarint(buffer, &cursor)
                let timestamp = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                records.append(ConsumedRecord(
                    topic: topic, partition: partition, offset: offset,
                    key: String(decoding: key, as: UTF8.self), value: Array(value),
                    headers: headers, timestamp: timestamp))
                offset += 1
            }
            return records
        }
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    private static func appendBytes<Bytes: Collection>(_ bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        appendVarint(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
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
