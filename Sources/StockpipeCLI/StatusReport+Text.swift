import StockpipeCore
import StockpipePipeline

/// `stockpipe status` as a table: counts per source, topic, stage and store, and the reconciliation.
/// Presentation, so it lives with the CLI; the library gives the numbers (and `json()`).
extension StatusReport {
    func text() -> String {
        var lines = ["data directory  \(dataDirectory)", ""]
        for source in sources {
            let c = source.counters
            lines.append("source  \(source.name)")
            lines.append(
                "        \(n(c.messages)) messages: \(n(c.trades)) trades staged, " + (c.quotes > 0 ? "\(n(c.quotes)) quotes staged, " : "")
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
            lines.append(
                pad(stage.name, 16) + " " + pad(stage.topic, 16) + pad(n(stage.position), 9, left: true)
                    + pad(n(stage.lag), 13, left: true))
        }
        lines.append("")
        let backfilled = store.backfilledCandles > 0 ? " (\(n(store.backfilledCandles)) backfilled)" : ""
        let quotes = store.quotes > 0 ? ", \(n(store.quotes)) quotes" : ""
        lines.append(
            "store  \(n(store.trades)) trades, \(n(store.candles)) 1-minute candles\(backfilled), \(n(store.symbols)) symbols\(quotes), "
                + "\(n(store.quarantined)) quarantined")
        let reasons = ReasonCode.allCases.compactMap { code in store.quarantineByReason[code].map { "\(code.rawValue) \(n($0))" } }
        if !reasons.isEmpty { lines.append("quarantine  " + reasons.joined(separator: ", ")) }
        lines.append("")
        if stagedElsewhere > 0 {
            lines.append(
                "staging holds \(n(stagedElsewhere)) records more than the sources staged: written by other producers, "
                    + "or sent again after a restart (the store keeps each record once)")
        }
        let verdict = balanced ? "balanced" : "NOT balanced"
        lines.append(
            "reconciliation  staged \(n(staged))" + (redriven > 0 ? " − re-driven \(n(redriven))" : "")
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

    private func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}
