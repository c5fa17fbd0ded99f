import Prometheus
import StockpipeCore
import StockpipePipeline
import Synchronization

/// Takes the pipeline's status every few seconds, works out each stage's records per second from
/// the change in its position, and keeps five minutes of that for the pipeline panel. It reads
/// the log and the store, so it sees stages in other processes too.
final class StatusSampler: Sendable {
    struct Point: Sendable {
        var at: Int64
        /// Records per second: ingest (staged), validate and load (positions).
        var rates: [String: Double]
        var lag: [String: Int64]
        var latency: PipelineMetrics.Latency?
        var latencyMeasuredHere = false
        /// `balanced`; `in-flight` while records move between the counted places (a live pipeline
        /// is never counted at one instant); `unbalanced` when they stay apart with nothing moving.
        var reconciliation = "balanced"
    }

    struct Sample: Sendable {
        var report: StatusReport
        var point: Point
        var history: [Point]
    }

    static let historyLength = 150

    let backends: DashboardBackends
    let pipeline: PipelineMetrics?
    private let state = Mutex<(latest: Sample?, history: [Point], previous: (at: Int64, counts: [String: Int64])?)>((nil, [], nil))
    private let lagGauges: [String: Gauge]
    private let positionGauges: [String: Gauge]
    private let storeGauges: [String: Gauge]
    /// From the newest stored data-quality report, whichever process made it.
    private let qualityGauges: [String: Gauge]

    init(backends: DashboardBackends, registry: PrometheusCollectorRegistry, pipeline: PipelineMetrics?) {
        self.backends = backends
        self.pipeline = pipeline
        /// One gauge of `metric` per value of `label`.
        func gauges(_ metric: String, help: String, label: String, _ values: [String]) -> [String: Gauge] {
            let descriptor = MetricNameDescriptor(namespace: "stockpipe", metricName: metric, unitName: "records", helpText: help)
            return Dictionary(uniqueKeysWithValues: values.map { ($0, registry.makeGauge(descriptor: descriptor, labels: [(label, $0)])) })
        }
        let groups = ["validate", "load", "load-quarantine"]
        lagGauges = gauges("lag", help: "Records on the stage's input topic not yet processed", label: "stage", groups)
        positionGauges = gauges(
            "stage_position", help: "Records the stage has consumed (ingest: staged), for rate()", label: "stage", ["ingest"] + groups)
        storeGauges = gauges("store", help: "Rows in the store", label: "table", ["trades", "quotes", "quarantined", "candles"])
        let quality: [(name: String, unit: String, help: String)] = [
            ("ok", "", "1 when the newest data-quality report breaks no threshold"),
            ("breaches", "", "Thresholds the newest data-quality report finds broken"),
            ("quarantine", "percent", "Records quarantined over the report's window, in percent"),
            ("stale_symbols", "", "Symbols without a trade for longer than quality.freshness while the market is open"),
            ("gap_minutes", "", "Open-market minutes without trades, summed over symbols, in the report's window"),
            ("generated_at_seconds", "", "When the newest data-quality report was made, Unix seconds"),
        ]
        qualityGauges = Dictionary(
            uniqueKeysWithValues: quality.map { gauge in
                (
                    gauge.name,
                    registry.makeGauge(
                        descriptor: .init(
                            namespace: "stockpipe", subsystem: "quality", metricName: gauge.name,
                            unitName: gauge.unit, helpText: gauge.help))
                )
            })
    }

    func run(every interval: Duration) async throws {
        while !Task.isCancelled {
            _ = try? await collect()
            try await Task.sleep(for: interval)
        }
    }

    /// The last sample, or a fresh one before the first.
    func latestOrCollect() async throws -> Sample {
        if let latest = state.withLock({ $0.latest }) { return latest }
        return try await collect()
    }

    @discardableResult
    func collect() async throws -> Sample {
        let report = try await StatusReport.collect(log: backends.log, store: backends.store, dataDirectory: backends.dataDirectory)
        let now = WallClock.milliseconds()
        var counts: [String: Int64] = ["ingest": report.staged]
        var lag: [String: Int64] = [:]
        for stage in report.stages {
            counts[stage.name] = stage.position
            lag[stage.name] = stage.lag
        }
        counts["load"] = (counts["load"] ?? 0) + (counts["load-quarantine"] ?? 0)
        for (stage, gauge) in lagGauges { gauge.set(Double(lag[stage] ?? 0)) }
        positionGauges["ingest"]?.set(Double(report.staged))
        for stage in report.stages { positionGauges[stage.name]?.set(Double(stage.position)) }
        storeGauges["trades"]?.set(Double(report.store.trades))
        storeGauges["quotes"]?.set(Double(report.store.quotes))
        storeGauges["quarantined"]?.set(Double(report.store.quarantined))
        if let quality = report.quality {
            qualityGauges["ok"]?.set(quality.ok ? 1.0 : 0.0)
            qualityGauges["breaches"]?.set(Double(quality.breaches.count))
            qualityGauges["quarantine"]?.set(quality.quarantinePercent)
            qualityGauges["stale_symbols"]?.set(Double(quality.staleSymbols))
            qualityGauges["gap_minutes"]?.set(Double(quality.gapMinutes))
            qualityGauges["generated_at_seconds"]?.set(Double(quality.generatedAt) / 1_000)
        }
        storeGauges["candles"]?.set(Double(report.store.candles))
        let latency = pipeline?.latency.flatMap { now - $0.measuredAt < 10_000 ? $0 : nil }
        return state.withLock { state in
            var rates: [String: Double] = [:]
            if let previous = state.previous, now > previous.at {
                let seconds = Double(now - previous.at) / 1_000
                for stage in ["ingest", "validate", "load"] {
                    rates[stage] = max(0, Double((counts[stage] ?? 0) - (previous.counts[stage] ?? 0)) / seconds)
                }
            }
            state.previous = (now, counts)
            var point = Point(at: now, rates: rates, lag: lag, latency: latency, latencyMeasuredHere: pipeline != nil)
            if !report.balanced {
                let idle = rates.values.allSatisfy { $0 == 0 } && report.pending == 0
                let stillIdle = idle && state.history.last.map { $0.reconciliation != "balanced" && $0.rates.values.allSatisfy { $0 == 0 } } == true
                point.reconciliation = stillIdle ? "unbalanced" : "in-flight"
            }
            state.history.append(point)
            if state.history.count > Self.historyLength { state.history.removeFirst(state.history.count - Self.historyLength) }
            let sample = Sample(report: report, point: point, history: state.history)
            state.latest = sample
            return sample
        }
    }
}
