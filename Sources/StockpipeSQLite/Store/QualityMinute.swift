import GRDB
import StockpipeCore

/// The counts a write adds to its minute of `quality_1m`: trades accepted, records quarantined
/// (`*`), and each reason of them.
struct QualityMinute {
    static let accepted = "accepted"
    static let records = "*"

    let minute: Int64
    private(set) var kinds: [String: Int64] = [:]

    init(minute: Int64) {
        self.minute = minute
    }

    mutating func add(_ kind: String, _ count: Int64) {
        guard count > 0 else { return }
        kinds[kind, default: 0] += count
    }

    mutating func add(_ record: QuarantineRecord) {
        add(Self.records, 1)
        for code in Reasons(record.reasons).codes { add(code.rawValue, 1) }
    }

    func write(into db: Database) throws {
        guard !kinds.isEmpty else { return }
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO quality_1m (minute, kind, records) VALUES (?, ?, ?)
                ON CONFLICT (minute, kind) DO UPDATE SET records = records + excluded.records
                """)
        for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) {
            try upsert.execute(arguments: [minute, kind, count])
        }
    }

    /// Adds a `quality_1m` row to the buckets.
    static func add(kind: String, records: Int64, to bucket: inout QualityBucket) {
        switch kind {
        case accepted: bucket.accepted += records
        case Self.records: bucket.quarantinedRecords += records
        default:
            if let code = ReasonCode(rawValue: kind) { bucket.quarantined[code, default: 0] += records }
        }
    }
}
