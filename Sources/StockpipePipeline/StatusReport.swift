import StockpipeJSON
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
        return StatusReport(dataDirectory: dataDirectory,
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

    public func json() -> String {
        var writer = JSONWriter(capacity: 2048)
        writer.objectStart()
        writeMembers(to: &writer)
        writer.objectEnd()
        return writer.string
    }

    /// The members of ``json()``'s object, for documents that add their own (the dashboard's status).
    public func writeMembers(to writer: inout JSONWriter) {
        writer.key("dataDirectory"); writer.string(dataDirectory)
        writer.key("sources")
        writer.arrayStart()
        for source in sources {
            writer.objectStart()
            writer.key("name"); writer.string(source.name)
            writer.key("messages"); writer.integer(Int64(source.counters.messages))
            writer.key("trades"); writer.integer(Int64(source.counters.trades))
            writer.key("malformed"); writer.integer(Int64(source.counters.malformed))
            writer.key("quotes"); writer.integer(Int64(source.counters.quotes))
            writer.key("pings"); writer.integer(Int64(source.counters.pings))
            writer.key("errors"); writer.integer(Int64(source.counters.errors))
            writer.key("emptyMessages"); writer.integer(Int64(source.counters.empty))
            writer.objectEnd()
        }
        writer.arrayEnd()
        writer.key("topics")
        writer.objectStart()
        for topic in topics {
            writer.key(dynamic: topic.name)
            writer.objectStart()
            writer.key("appended"); writer.integer(topic.appended)
            writer.key("retained"); writer.integer(topic.retained)
            writer.objectEnd()
        }
        writer.objectEnd()
        writer.key("stages")
        writer.objectStart()
        for stage in stages {
            writer.key(dynamic: stage.name)
            writer.objectStart()
            writer.key("topic"); writer.string(stage.topic)
            writer.key("position"); writer.integer(stage.position)
            writer.key("lag"); writer.integer(stage.lag)
            writer.objectEnd()
        }
        writer.objectEnd()
        writer.key("store")
        writer.objectStart()
        writer.key("trades"); writer.integer(store.trades)
        writer.key("candles"); writer.integer(store.candles)
        writer.key("backfilledCandles"); writer.integer(store.backfilledCandles)
        writer.key("symbols"); writer.integer(store.symbols)
        writer.key("quarantined"); writer.integer(store.quarantined)
        writer.key("quotes"); writer.integer(store.quotes)
        writer.objectEnd()
        writer.key("quarantine")
        writer.objectStart()
        for reason in ReasonCode.allCases {
            writer.key(dynamic: reason.rawValue); writer.integer(store.quarantineByReason[reason] ?? 0)
        }
        writer.objectEnd()
        writer.key("reconciliation")
        writer.objectStart()
        writer.key("staged"); writer.integer(staged)
        writer.key("stagedElsewhere"); writer.integer(stagedElsewhere)
        writer.key("redriven"); writer.integer(redriven)
        writer.key("stored"); writer.integer(store.trades + store.quotes)
        writer.key("quarantined"); writer.integer(store.quarantined)
        writer.key("pending"); writer.integer(pending)
        writer.key("balanced"); writer.bool(balanced)
        writer.objectEnd()
        writer.key("quality")
        if let quality { writer.raw(Array(quality.json().utf8)) } else { writer.null() }
        writer.key("jobs")
        writer.arrayStart()
        for run in jobs { run.writeJSON(to: &writer) }
        writer.arrayEnd()
    }

    public func text() -> String {
        var lines = ["data directory  \(dataDirectory)", ""]
        for source in sources {
            let c = source.counters
            lines.append("source  \(source.name)")
            lines.append("        \(n(c.messages)) messages: \(n(c.trades)) trades staged, " + (c.quotes > 0 ? "\(n(c.quotes)) quotes staged, " : "")
                         + "\(n(c.malformed)) malformed staged, "
                         + "\(n(c.pings)) pings ignored, \(n(c.errors)) feed errors, \(n(c.empty)) empty")
        }
        lines.append("")
        lines.append("topic            appended     retained")
        for topic in topics {
            lines.append(pad(topic.name, 16) + pad(n(topic.appended), 13, left: true) + pad(n(topic.retained), 13, left: true))
        }
        lines.append("")
        lines.append("stage            topic            position          lag")
        for stage in stages {
            lines.append(pad(stage.name, 16) + " " + pad(stage.topic, 16) + pad(n(stage.position), 9, left: true)
                         + pad(n(stage.lag), 13, left: true))
        }
        lines.append("")
        let backfilled = store.backfilledCandles > 0 ? " (\(n(store.backfilledCandles)) backfilled)" : ""
        let quotes = store.quotes > 0 ? ", \(n(store.quotes)) quotes" : ""
        lines.append("store  \(n(store.trades)) trades, \(n(store.candles)) 1-minute candles\(backfilled), \(n(store.symbols)) symbols\(quotes), "
                     + "\(n(store.quarantined)) quarantined")
        let reasons = ReasonCode.allCases.compactMap { code in store.quarantineByReason[code].map { "\(code.rawValue) \(n($0))" } }
        if !reasons.isEmpty { lines.append("quarantine  " + reasons.joined(separator: ", ")) }
        lines.append("")
        if stagedElsewhere > 0 {
            lines.append("staging holds \(n(stagedElsewhere)) records more than the sources staged: written by other producers, "
                         + "or sent again after a restart (the store keeps each record once)")
        }
        let verdict = balanced ? "balanced" : "NOT balanced"
        lines.append("reconciliation  staged \(n(staged))" + (redriven > 0 ? " − re-driven \(n(redriven))" : "")
                     + " = stored \(n(store.trades + store.quotes))" + (store.quotes > 0 ? " (\(n(store.quotes)) quotes)" : "")
                     + " + quarantined \(n(store.quarantined)) + pending \(n(pending))  → \(verdict)")
        if let quality {
            lines.append("")
            lines.append("data quality  \(quality.summary) (report of \(JobRunEntry.time(quality.generatedAt)))")
            for breach in quality.breaches { lines.append("              \(breach)") }
        }
        if !jobs.isEmpty {
            lines.append("")
            lines.append("job             last run (UTC)         outcome    detail")
            for run in jobs {
                lines.append(pad(run.job, 16) + pad(JobRunEntry.time(run.startedAt), 23) + pad(run.outcome.rawValue, 11) + run.detail)
            }
        }
        return lines.joined(separator: "\n")
    }

    private func n<T: BinaryInteger>(_ value: T) -> String { Self.grouped(Int64(value)) }

    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    private func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}
