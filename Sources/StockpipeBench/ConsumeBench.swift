import Foundation
import Logging
import StockpipeCore
import StockpipeKafka

/// `stockpipe-bench consume BROKERS TOPIC RECORDS`: our consumer alone, as a drain of the validate
/// stage uses it (alone in a fresh group, 8,192 records a poll), reading RECORDS records of TOPIC
/// from its start, and committing. Prints what `scripts/peer/kafka_hop.c` prints of its consumer:
/// the seconds from the start to the commit, and to the first record. For finding out where the
/// time goes: `BENCH_PROPS=name=value,...` adds librdkafka properties, `BENCH_TRACE=1` prints
/// each poll (seconds, records, total) and librdkafka's debug lines.
func consumeBenchmark(_ arguments: [String]) async throws {
    guard arguments.count == 3, let records = Int(arguments[2]) else {
        throw BenchError("usage: stockpipe-bench consume BROKERS TOPIC RECORDS")
    }
    var properties = ["bootstrap.servers": arguments[0], "session.timeout.ms": "6000"]
    for pair in (ProcessInfo.processInfo.environment["BENCH_PROPS"] ?? "").split(separator: ",") {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 { properties[parts[0]] = parts[1] }
    }
    let configuration = KafkaConfiguration(properties)
    let trace = ProcessInfo.processInfo.environment["BENCH_TRACE"] != nil
    if trace {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .debug
            return handler
        }
    }
    let start = ContinuousClock.now
    let consumer = try KafkaConsumer(configuration, group: "bench-consume-\(UUID().uuidString)", topic: arguments[1], draining: true)
    var consumed = 0
    var first: ContinuousClock.Instant?
    var last: ConsumedRecord?
    while consumed < records, ContinuousClock.now - start < .seconds(120) {
        let batch = try await consumer.poll(maxRecords: 8_192, timeout: .milliseconds(100))
        if first == nil, !batch.isEmpty { first = .now }
        consumed += batch.count
        if trace { print(String(format: "%.3f %d %d", (ContinuousClock.now - start).seconds, batch.count, consumed)) }
        last = batch.last ?? last
    }
    if let last { try await consumer.commit(through: last, state: nil) }
    let end = ContinuousClock.now
    print(
        String(
            format: "records %d consume_s %.3f join_s %.3f", consumed, (end - start).seconds,
            ((first ?? end) - start).seconds))
    await consumer.close()
    guard consumed == records else { throw BenchError("read \(consumed) of \(records) records") }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
