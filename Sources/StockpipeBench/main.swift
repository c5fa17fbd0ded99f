import Foundation
import Logging
import StockpipeJSON
import StockpipeModel
import StockpipePipeline
import StockpipeSources

// Throughput of each stage, in a release build: `swift run -c release stockpipe-bench [trades]`.
// Prints one line per measurement; scripts/bench.sh adds the end-to-end peak memory.

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
let directory = NSTemporaryDirectory() + "stockpipe-bench-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

func measure(_ name: String, records: Int, _ body: () async throws -> Void) async rethrows {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let label = name.padding(toLength: 40, withPad: " ", startingAt: 0)
    print(label + String(format: "%10d records %8.3f s %12.0f records/s", records, seconds, Double(records) / seconds))
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
        }
    }
}
}

// STOCKPIPE_BENCH_ONLY=validate stops here, for profiling the validator alone.
if ProcessInfo.processInfo.environment["STOCKPIPE_BENCH_ONLY"] == "validate" { exit(0) }

// Each stage alone over the embedded log and store, then all three together.
var settings = Settings()
settings.source = .replay
settings.file = file
settings.symbols = Simulator.defaultSymbols
let logger = Logger(label: "bench")
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
if bytesOut == 0 { print("nothing validated") }
