import StockpipeCore

/// The embedded backend's settings: the log and the store are SQLite files in the data directory
/// (`data-dir`, a setting of every process, as heartbeats live there too); each topic of the
/// embedded log keeps its records for `retention.<topic>`.
public struct EmbeddedSettings: BackendSettings {
    /// How long each topic of the embedded log keeps its records, in milliseconds.
    public var retention: [String: Int64] = [
        Topic.staging: 3 * 86_400_000, Topic.stockData: 3 * 86_400_000, Topic.badStockData: 30 * 86_400_000,
    ]

    public init() {}

    public static let keys = ["retention.staging", "retention.stock_data", "retention.bad_stock_data"]

    public mutating func apply(key: String, value: SettingValue) throws -> Bool {
        guard Self.keys.contains(key) else { return false }
        retention[String(key.dropFirst("retention.".count))] =
            try value.duration(SettingLimits.topicRetention, "a duration between 1m and 3650d, like 3d")
        return true
    }

    public func summary(dataDirectory: String) -> String {
        "embedded in \(dataDirectory)"
    }
}
