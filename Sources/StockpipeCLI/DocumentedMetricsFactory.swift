import CoreMetrics
import Prometheus
import StockpipePipeline

/// swift-prometheus' factory, except that the metrics stockpipe makes through swift-metrics get the
/// `# HELP` text that `PipelineMetrics.helpTexts` gives them: Prometheus' linter (`promtool check
/// metrics`) and anyone reading `/metrics` want one, and swift-metrics has no place for it.
struct DocumentedMetricsFactory: MetricsFactory {
    let base: PrometheusMetricsFactory
    let helpTexts: [String: String]

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let help = helpTexts[label] else { return base.makeCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: .init(metricName: label, unitName: "", helpText: help), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        base.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        base.makeMeter(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let help = helpTexts[label] else { return base.makeTimer(label: label, dimensions: dimensions) }
        let buckets = base.durationHistogramBuckets[label] ?? base.defaultDurationHistogramBuckets
        return base.registry.makeDurationHistogram(
            descriptor: .init(metricName: label, unitName: "", helpText: help), labels: dimensions, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
