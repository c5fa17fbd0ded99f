/// The topics between the stages.
public enum Topic {
    public static let staging = "staging"
    public static let stockData = "stock_data"
    public static let badStockData = "bad_stock_data"
    public static let all = [staging, stockData, badStockData]
}

/// The consumer group of each stage's input topic. The load stage reads two topics through two
/// groups, so that on Kafka one topic's members joining or leaving never pauses the other.
public enum ConsumerGroup {
    public static let validate = "validate"
    public static let load = "load"
    public static let loadQuarantine = "load-quarantine"
    /// Each group with the topic it reads, in pipeline order.
    public static let all: [(group: String, topic: String)] = [
        (validate, Topic.staging), (load, Topic.stockData), (loadQuarantine, Topic.badStockData),
    ]
}

/// Header names carried on records. Kafka keeps them as record headers; the embedded log too.
public enum Header {
    /// What a staging record holds: a ``RecordKind`` (`trade`, `quote` or `raw`).
    public static let kind = "kind"
    /// Where the record entered the pipeline, e.g. `replay:/data/f.ndjson:12#3` (line 12, element 3).
    public static let source = "source"
    /// The trade's occurrence among identical trades in its message.
    public static let occurrence = "occurrence"
    /// For a record cut short at the size limit: the size of the whole original, in bytes.
    public static let originalSize = "original-size"
    /// Set on a record sent through the pipeline again by `quarantine replay`.
    public static let redriven = "redriven"
    /// On `bad_stock_data`: the reason codes, comma-separated.
    public static let reasons = "reasons"
}

public struct RecordHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == RecordHeader {
    public subscript(header name: String) -> String? {
        // By index, not `first(where:)`: that copies each header it looks at, for every record.
        for index in indices where self[index].name == name { return self[index].value }
        return nil
    }
}

/// A record to append to a topic.
public struct OutgoingRecord: Sendable {
    public var topic: String
    public var key: String
    public var value: [UInt8]
    public var headers: [RecordHeader]
    /// Unix milliseconds; for staging, the time the record was received from the source.
    public var timestamp: Int64
    /// The trade `value` is the `stock_data` form of, when the stage had it in hand. A log that
    /// hands records to a consumer in the same process passes it on (see ``ConsumedRecord/trade``).
    public var trade: Trade?
    /// The partition of the record this one was made from, for a stage that turns each input
    /// into one output. A partitioned log publishes it to the same partition number (its topics
    /// have equal partition counts and the same keys, so keys stay where they were), which lets a
    /// restarted stage find what it published for each input partition and not publish it again.
    public var inputPartition: Int32?
    /// The offset of the record this one was made from, with ``inputPartition``.
    public var inputOffset: Int64?

    public init(
        topic: String, key: String, value: [UInt8], headers: [RecordHeader], timestamp: Int64, trade: Trade? = nil,
        inputPartition: Int32? = nil, inputOffset: Int64? = nil
    ) {
        self.inputOffset = inputOffset
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.trade = trade
        self.inputPartition = inputPartition
    }
}

/// A record read from a topic, with its position.
public struct ConsumedRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: String
    public var value: [UInt8]
    public var headers: [RecordHeader]
    public var timestamp: Int64
    /// What `Trade(json: value)` gives, when the log had it without reading `value`: it handed
    /// over a record published in this process with its ``OutgoingRecord/trade``. Nil otherwise,
    /// and always from a log that carries records between processes.
    public var trade: Trade?

    public init(
        topic: String, partition: Int32, offset: Int64, key: String, value: [UInt8],
        headers: [RecordHeader], timestamp: Int64, trade: Trade? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.trade = trade
    }

    public var origin: Origin {
        // One pass over the headers; the first of each name counts, as with `headers[header:]`.
        var origin = Origin(topic: topic, partition: partition, offset: offset, source: "")
        var found = (source: false, occurrence: false, originalSize: false)
        for index in headers.indices {
            switch headers[index].name {
            case Header.source where !found.source:
                origin.source = headers[index].value
                found.source = true
            case Header.occurrence where !found.occurrence:
                origin.occurrence = Int(headers[index].value) ?? 0
                found.occurrence = true
            case Header.originalSize where !found.originalSize:
                origin.originalSize = Int(headers[index].value)
                found.originalSize = true
            default: break
            }
        }
        return origin
    }
}

/// Where a quarantined record came from.
public struct Origin: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var source: String
    /// The trade's occurrence among identical trades of its message (part of its identity).
    public var occurrence: Int
    /// Set when the payload was cut at the size limit: the size of the original.
    public var originalSize: Int?
    /// Why the store refused the record (`store_rejected`), in its own words.
    public var error: String?

    public init(
        topic: String, partition: Int32, offset: Int64, source: String, occurrence: Int = 0, originalSize: Int? = nil,
        error: String? = nil
    ) {
        self.error = error
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.source = source
        self.occurrence = occurrence
        self.originalSize = originalSize
    }
}
