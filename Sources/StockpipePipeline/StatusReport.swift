import StockpipeCore

/// What `stockpipe status` shows: counts per source, topic, stage and store, and whether they
/// reconcile: every staged record is stored, quarantined, or still on its way.
public struct StatusReport: Sendable {
    public struct Stage: Sendable {
        public var name: String
        public var topic: String
        public var position: Int64
        public var lag: Int64
    }

    public var dataDirectory: String
    public var sources: [(name: String, counters: IngestCounters)]
    public var topics: [LogStatus.TopicStatus]
    public var stages: [Stage]
    public var store: StoreCounts
    /// The newest data-quality report, and the last run of each built-in job.
    public var quality: QualityReport?
    public var jobs: [JobRunEntry] = []

    public static let redriveSource = "quarantine-replay"

    /// Reads the counts of `log` and `store`; `dataDirectory` is only shown.
    public static func collect(log: any Log, store: any Store, dataDirectory: String) async throws -> StatusReport {
        let logStatus = try await log.status()
        let counts = try await store.counts()
        let stages = ConsumerGroup.all.map { group, topic in
            let appended = logStatus.topics.first { $0.name == topic }?.appended ?? 0
            let found = logStatus.groups.first { $0.group == group && $0.topic == topic }
            return Stage(name: group, topic: topic, position: found?.position ?? 0, lag: found?.lag ?? appended)
        }
        var jobs: [JobRunEntry] = []
        for job in BuiltInJob.allCases {
            if let last = try await store.jobRuns(job: job.rawValue, limit: 1).first { jobs.append(last) }
        }
        let quality = try await store.latestQualityReport().flatMap { try? QualityReport(json: $0.json) }
        return StatusReport(
            dataDirectory: dataDirectory,
            sources: logStatus.sources.map { ($0.name, IngestCounters(json: $0.checkpoint.state)) },
            topics: logStatus.topics, stages: stages, store: counts, quality: quality, jobs: jobs)
    }

    /// Records the sources staged, each counted once: the counters are committed with each
    /// source's checkpoint, so they stay exact where a log may deliver a record twice (Kafka).
    public var staged: Int64 { sources.reduce(0) { $0 + Int64($1.counters.staged) } }
    /// Records in `staging` beyond those: written there by other producers, or sent again after
    /// a restart (Kafka delivers at least once; the store keeps each record once).
    public var stagedElsewhere: Int64 {
        max(0, (topics.first { $0.name == Topic.staging }?.appended ?? 0) - staged)
    }
    public var redriven: Int64 { Int64(sources.first { $0.name == Self.redriveSource }?.counters.trades ?? 0) }
    public var pending: Int64 { stages.reduce(0) { $0 + $1.lag } }
    /// Every staged record (less those staged again from the quarantine) is accounted for.
    public var balanced: Bool { staged - redriven == store.trades + store.quotes + store.quarantined + pending }

    /// 1234567 → "1,234,567": counts as the CLI and the progress lines show them.
    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }
}
