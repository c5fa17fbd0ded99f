import Foundation
import Logging
import StockpipeApp
import StockpipeCassandra
import StockpipeCore
import StockpipeJSON
import StockpipeKafka
import StockpipePipeline
import StockpipeSources

// Throughput of each stage, in a release build: `swift run -c release stockpipe-bench [trades]`.
// Prints one line per measurement; scripts/bench.sh adds the end-to-end peak memory.

if CommandLine.arguments.dropFirst().first == "consume" {
    try await consumeBenchmark(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
let directory = NSTemporaryDirectory() + "stockpipe-bench-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

@discardableResult
@MainActor func measure(_ name: String, records: Int, _ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    let seconds = elapsed.seconds
    let label = name.padding(toLength: 40, withPad: " ", startingAt: 0)
    print(label + String(format: "%10d records %8.3f s %12.0f records/s", records, seconds, Double(records) / seconds))
    return seconds
}

// The input: a simulated replay file, as `stockpipe simulate` writes it.
let now = WallClock.milliseconds()
var simulator = Simulator(.init(seed: 1, rate: 1_000, start: now - Int64(count) - 1_000, badFraction: 0.01))
var lines: [[UInt8]] = []
while simulator.records < count { lines += simulator.nextWindow(maxRecords: count - simulator.records).map(\.bytes) }
let file = directory + "/bench.ndjson"
_ = FileManager.default.createFile(atPath: file, contents: Data(lines.flatMap { $0 + [0x0A] }))

// Validation alone, on one core: parse, check, serialise.
var tradeObjects: [[UInt8]] = []
for line in lines {
    if case .trades(let ranges) = line.withUnsafeBytes({ FeedMessage.classify($0) }) {
        tradeObjects += ranges.map { Array(line[$0]) }
    }
}
var rules = ValidationRules()
rules.allowedSymbols = Set(Simulator.defaultSymbols)
var validator = try Validator(rules: rules)
var bytesOut = 0
let rounds = ProcessInfo.processInfo.environment["STOCKPIPE_BENCH_ONLY"] == "validate" ? 5 : 1
for _ in 0..<rounds {
    validator = try Validator(rules: rules)
    await measure("validate (parse, check, serialise)", records: tradeObjects.count) {
        // As the validate stage does it: one writer kept across trades.
        var writer = JSONWriter(capacity: 256)
        for object in tradeObjects {
            switch validator.validate(tradeJSON: object, occurrence: 0, receivedAt: now) {
            case .valid(let trade): bytesOut += trade.json(using: &writer).count
            case .invalid(let reasons): bytesOut += reasons.count
            case .undecided: break
            }
        }
    }
}

// STOCKPIPE_BENCH_ONLY=validate stops here, for profiling the validator alone.
if ProcessInfo.processInfo.environment["STOCKPIPE_BENCH_ONLY"] == "validate" { exit(0) }

let only = ProcessInfo.processInfo.environment["STOCKPIPE_BENCH_ONLY"]
let logger = Logger(label: "bench")
var settings = Settings()
settings.source = .replay
settings.file = file
settings.symbols = Simulator.defaultSymbols

if only == nil || only == "embedded" {
    // Each stage alone over the embedded log and store, then all three together.
    for stage in PipelineRunner.Stage.allCases {
        settings.dataDirectory = directory + "/stages"
        let backends = try await Backends.open(settings, create: true)
        let runner = PipelineRunner(settings: settings, stages: [stage], drain: true, showProgress: false, logger: logger)
        try await measure("stage \(stage.rawValue) (embedded log)", records: count) { try await runner.run(backends) }
        await backends.close()
    }
    settings.dataDirectory = directory + "/run"
    let backends = try await Backends.open(settings, create: true)
    let runner = PipelineRunner(settings: settings, stages: PipelineRunner.Stage.allCases, drain: true, showProgress: false, logger: logger)
    try await measure("run --drain (all stages, end to end)", records: count) { try await runner.run(backends) }
    let report = try await StatusReport.collect(backends)
    await backends.close()
    print("reconciles: \(report.balanced) (stored \(report.store.trades), quarantined \(report.store.quarantined))")
}

if only == nil || only == "kafka" {
    try await kafkaBenchmarks()
}
if bytesOut == 0 { print("nothing validated") }

/// The Kafka path on librdkafka's mock cluster (3 brokers, replication factor 3): raw produce and
/// consume of the staged records (the ceiling), then the pipeline end to end.
@MainActor func kafkaBenchmarks() async throws {
    // The mock keeps a few MiB per partition, so the topics get enough partitions for the run.
    let partitions = Int32(ProcessInfo.processInfo.environment["BENCH_PARTITIONS"].flatMap { Int($0) } ?? max(6, count / 20_000))
    let cluster = try KafkaMockCluster(brokers: 3)
    defer { cluster.close() }
    for spec in TopicSpec.pipeline(partitions: partitions) {
        try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: Int32(spec.replicationFactor))
    }
    try cluster.createTopic("raw", partitions: partitions, replicationFactor: 3)
    var configuration = KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "session.timeout.ms": "6000"])
    for pair in (ProcessInfo.processInfo.environment["BENCH_KAFKA"] ?? "").split(separator: ",") {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 { configuration[parts[0]] = parts[1] }
    }

    var records: [OutgoingRecord] = []
    records.reserveCapacity(count)
    for line in lines {
        if case .trades(let ranges) = line.withUnsafeBytes({ FeedMessage.classify($0) }) {
            for (index, range) in ranges.enumerated() {
                let value = Array(line[range])
                records.append(
                    OutgoingRecord(
                        topic: "raw", key: value.withUnsafeBytes { FinnhubTrade.symbol(in: $0) } ?? "",
                        value: value,
                        headers: [
                            RecordHeader(kind: .trade),
                            RecordHeader(Header.source, "bench:@0#\(index)"),
                        ],
                        timestamp: now))
            }
        }
    }
    let producer = try KafkaProducer(configuration)
    let produceSeconds = await measure("kafka raw produce (mock, acks=all)", records: records.count) {
        for start in stride(from: 0, to: records.count, by: 50_000) {
            try? await producer.send(Array(records[start..<min(start + 50_000, records.count)]))
        }
    }
    await producer.close()
    let consumer = try KafkaConsumer(configuration, group: "bench", topic: "raw")
    _ = try await consumer.poll(maxRecords: 1, timeout: .seconds(30))  // joined and assigned
    var consumed = 1
    let consumeSeconds = await measure("kafka raw consume (mock)", records: records.count - 1) {
        while consumed < records.count {
            let polled = (try? await consumer.poll(maxRecords: 10_000, timeout: .seconds(5))) ?? []
            if polled.isEmpty { break }
            consumed += polled.count
        }
    }
    await consumer.close()
    let ceiling = Double(records.count) / (produceSeconds + consumeSeconds)
    print("kafka ceiling (raw produce + consume of the same records): " + String(format: "%.0f records/s", ceiling))
    if consumed != records.count { print("kafka raw consume: read \(consumed) of \(records.count)") }

    var kafkaSettings = settings
    kafkaSettings.log = .kafka
    kafkaSettings.kafka.brokers = cluster.bootstrapServers
    kafkaSettings.kafka.properties = ["session.timeout.ms": "6000"]
    kafkaSettings.dataDirectory = directory + "/kafka"
    let backends = try await Backends.open(kafkaSettings, create: true)
    let runner = PipelineRunner(settings: kafkaSettings, stages: PipelineRunner.Stage.allCases, drain: true, showProgress: false, logger: logger)
    let seconds = try await measure("run --drain on Kafka (mock, end to end)", records: count) { try await runner.run(backends) }
    print(String(format: "kafka end to end: %.0f%% of the ceiling", Double(count) / seconds / ceiling * 100))
    let report = try await StatusReport.collect(backends)
    await backends.close()
    print("reconciles: \(report.balanced) (stored \(report.store.trades), quarantined \(report.store.quarantined))")
}

try await benchCQLCodec(records: count)

// The Cassandra store, when a node is given (scripts/bench.sh starts the 1.2 server for this).
if let contactPoints = ProcessInfo.processInfo.environment["STOCKPIPE_BENCH_CASSANDRA"] {
    var cassandraSettings = settings
    cassandraSettings.store = .cassandra
    cassandraSettings.cassandra.contactPoints = contactPoints
    cassandraSettings.cassandra.replication = "SimpleStrategy:1"
    cassandraSettings.cassandra.consistency = "one"
    cassandraSettings.dataDirectory = directory + "/cassandra"
    _ = try await CassandraSchema.create(try cassandraSettings.cassandra.configuration)
    let backends = try await Backends.open(cassandraSettings, create: true)
    let runner = PipelineRunner(settings: cassandraSettings, stages: PipelineRunner.Stage.allCases, drain: true, showProgress: false, logger: logger)
    try await measure("run --drain on Cassandra 1.2 (end to end)", records: count) { try await runner.run(backends) }
    let report = try await StatusReport.collect(backends)
    print("reconciles: \(report.balanced) (stored \(report.store.trades), quarantined \(report.store.quarantined))")
    var read = 0
    try await measure("cassandra read: every trade of every symbol", records: Int(report.store.trades)) {
        for symbol in Simulator.defaultSymbols {
            read += try await backends.store.trades(symbol: symbol, from: 0, to: nil, limit: 10_000_000).count
        }
    }
    try await measure("cassandra read: 1m candles of every symbol", records: Simulator.defaultSymbols.count) {
        for symbol in Simulator.defaultSymbols { read += try await backends.store.candles(symbol: symbol, from: nil, to: nil).count }
    }
    await backends.close()
}
