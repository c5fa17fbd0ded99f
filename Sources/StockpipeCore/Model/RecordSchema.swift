/// The published contract of each topic's record values: a JSON Schema (2020-12) per topic, in
/// `Sources/StockpipeCore/Assets/TOPIC.schema.json`, served at `/api/v1/schemas/TOPIC`, and the
/// version every record names in its `schema` header (a Kafka record header; the embedded log keeps
/// headers too).
///
/// ```swift
/// RecordSchema.header(for: Topic.stockData)  // schema: stock_data/1.0
/// RecordSchema.document(for: "stock_data")    // the JSON Schema, as text
/// ```
///
/// Within a major version changes are additive only (a new optional field, a new reason code); a
/// consumer checks the major version and ignores what it does not know.
public enum RecordSchema {
    /// The header that names a record's schema: `TOPIC/MAJOR.MINOR`.
    public static let headerName = "schema"
    public static let major = 1
    public static let minor = 0

    /// `TOPIC/MAJOR.MINOR`, the `schema` header's value for records of `topic`.
    public static func version(of topic: String) -> String {
        "\(topic)/\(major).\(minor)"
    }

    /// The `schema` header of records published to `topic`.
    public static func header(for topic: String) -> RecordHeader {
        RecordHeader(headerName, version(of: topic))
    }

    /// The JSON Schema of `topic`'s record values, or nil for a topic that is not the pipeline's.
    public static func document(for topic: String) -> String? {
        switch topic {
        case Topic.staging: EmbeddedAssets.stagingSchemaJson
        case Topic.stockData: EmbeddedAssets.stockDataSchemaJson
        case Topic.badStockData: EmbeddedAssets.badStockDataSchemaJson
        default: nil
        }
    }
}

extension Array where Element == RecordHeader {
    /// The headers with the `schema` header of `topic` in place of any other.
    public func naming(schemaOf topic: String) -> [RecordHeader] {
        var headers = self
        if let index = headers.firstIndex(where: { $0.name == RecordSchema.headerName }) {
            headers[index] = RecordSchema.header(for: topic)
        } else {
            headers.append(RecordSchema.header(for: topic))
        }
        return headers
    }
}
