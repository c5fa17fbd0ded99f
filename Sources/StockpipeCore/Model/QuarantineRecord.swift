import StockpipeJSON

/// A record that failed validation: the original payload, every reason, and where it came from.
/// This is both the `bad_stock_data` value and a row of `stockpipe quarantine list --json`.
public struct QuarantineRecord: Sendable, Equatable {
    /// How much of an oversized record is kept as its payload: enough to see what it was.
    public static let keptPayloadBytes = 4096

    public var reasons: [ReasonCode]
    /// The original text as received (cut at the size limit for oversized input).
    public var payload: [UInt8]
    public var origin: Origin
    /// Unix milliseconds.
    public var quarantinedAt: Int64

    public init(reasons: [ReasonCode], payload: [UInt8], origin: Origin, quarantinedAt: Int64) {
        self.reasons = reasons
        self.payload = payload
        self.origin = origin
        self.quarantinedAt = quarantinedAt
    }

    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: payload.count + 200)
        writeJSON(to: &writer)
        return writer.bytes
    }

    public func writeJSON(to writer: inout JSONWriter) {
        writer.objectStart()
        writer.key("reasons")
        writer.arrayStart()
        for reason in reasons { writer.string(reason.rawValue) }
        writer.arrayEnd()
        writer.key("payload"); writer.string(bytes: payload)
        writer.key("origin"); origin.writeJSON(to: &writer)
        writer.key("quarantinedAt"); writer.integer(quarantinedAt)
        writer.objectEnd()
    }

    public init(json bytes: [UInt8]) throws {
        var reasons: [ReasonCode] = []
        var payload: [UInt8]?
        var origin: Origin?
        var quarantinedAt: Int64?
        try bytes.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            try reader.forEachMember { key, reader in
                if key == "reasons" {
                    try reader.forEachElement { reader in
                        let code = try reader.readString()
                        guard let reason = ReasonCode(rawValue: code) else {
                            throw ModelError.invalidRecord("unknown reason code \(code)")
                        }
                        reasons.append(reason)
                    }
                } else if key == "payload" {
                    payload = Array(try reader.readString().utf8)
                } else if key == "origin" {
                    origin = try Origin(reading: &reader)
                } else if key == "quarantinedAt" {
                    quarantinedAt = try reader.readNumber().integer
                } else {
                    try reader.skipValue()
                }
            }
        }
        guard let payload, let origin, let quarantinedAt, !reasons.isEmpty else {
            throw ModelError.invalidRecord("quarantine record lacks a field: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        self.init(reasons: reasons, payload: payload, origin: origin, quarantinedAt: quarantinedAt)
    }
}

extension Origin {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.objectStart()
        writer.key("topic"); writer.string(topic)
        writer.key("partition"); writer.integer(Int64(partition))
        writer.key("offset"); writer.integer(offset)
        writer.key("source"); writer.string(source)
        if occurrence != 0 {
            writer.key("occurrence"); writer.integer(Int64(occurrence))
        }
        if let originalSize {
            writer.key("originalSize"); writer.integer(Int64(originalSize))
            writer.key("truncated"); writer.bool(true)
        }
        if let error {
            writer.key("error"); writer.string(error)
        }
        writer.objectEnd()
    }

    public var json: String {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return writer.string
    }

    init(reading reader: inout JSONReader) throws {
        var topic = ""
        var source = ""
        var partition: Int32 = 0
        var offset: Int64 = 0
        var originalSize: Int?
        var occurrence = 0
        var error: String?
        try reader.forEachMember { key, reader in
            if key == "topic" {
                topic = try reader.readString()
            } else if key == "partition" {
                partition = Int32(truncatingIfNeeded: try reader.readNumber().integer ?? 0)
            } else if key == "offset" {
                offset = try reader.readNumber().integer ?? 0
            } else if key == "source" {
                source = try reader.readString()
            } else if key == "occurrence" {
                occurrence = Int(truncatingIfNeeded: try reader.readNumber().integer ?? 0)
            } else if key == "originalSize" {
                originalSize = (try reader.readNumber().integer).map { Int(truncatingIfNeeded: $0) }
            } else if key == "error" {
                error = try reader.readString()
            } else {
                try reader.skipValue()
            }
        }
        self.init(
            topic: topic, partition: partition, offset: offset, source: source, occurrence: occurrence,
            originalSize: originalSize, error: error)
    }

    public init(json: String) throws {
        var bytes = Array(json.utf8)
        self = try bytes.withUnsafeMutableBytes { buffer in
            var reader = JSONReader(UnsafeRawBufferPointer(buffer))
            return try Origin(reading: &reader)
        }
    }
}

extension Origin {
    /// What identifies a quarantined record: its source, or its log position when it has none
    /// (a record produced into `staging` by another tool).
    public var quarantineKey: String {
        source.isEmpty ? "\(topic)/\(partition)/\(offset)" : source
    }
}
