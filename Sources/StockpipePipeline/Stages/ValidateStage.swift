import Logging
import ServiceLifecycle
import StockpipeCore
import StockpipeJSON

/// Consumes `staging` and routes each record to `stock_data` (normalised) or `bad_stock_data`
/// (original payload, reasons, origin). Outputs, position and the validator's price references are
/// committed together.
public struct ValidateStage: Service {
    let log: any Log
    let rules: ValidationRules
    let loop: ConsumerLoop

    public init(
        log: any Log, rules: ValidationRules, batchSize: Int, drain: DrainCoordinator?, metrics: PipelineMetrics,
        backpressure: Backpressure? = nil
    ) {
        self.log = log
        self.rules = rules
        loop = ConsumerLoop(
            stage: .validate, topic: Topic.staging, group: ConsumerGroup.validate,
            maxRecords: batchSize, drain: drain, metrics: metrics, backpressure: backpressure)
    }

    public func run() async throws {
        let start = { try Kept(validator: Validator(rules: rules), writer: JSONWriter(capacity: 256)) }
        try await loop.run(on: log, state: start) { kept, polled, consumer in
            try await validate(polled, from: consumer, validator: &kept.validator, writer: &kept.writer)
        }
        loop.drain?.markFinished(.validate)
    }

    /// What validation keeps from one batch to the next.
    struct Kept: ~Copyable {
        var validator: Validator
        var writer: JSONWriter
    }

    /// Routes a poll's records, polling for more while a trade waits for the ones after it; returns
    /// the write that publishes the outputs and commits them with the validator's state.
    func validate(
        _ polled: [ConsumedRecord], from consumer: any LogConsumer, validator: inout Validator,
        writer: inout JSONWriter
    ) async throws -> ConsumerLoop.Write {
        validator.resume(await consumer.takeResumedState())
        var records = polled
        var outputs: [OutgoingRecord] = []
        outputs.reserveCapacity(records.count)
        var complete = false
        var emptyPolls = 0
        let now = WallClock.milliseconds()
        while outputs.count < records.count {
            records.withUnsafeBufferPointer { records in
                while outputs.count < records.count {
                    guard
                        let output = route(
                            records, at: outputs.count, validator: &validator, writer: &writer, now: now,
                            complete: complete)
                    else { break }
                    outputs.append(output)
                }
            }
            guard outputs.count < records.count else { break }
            // A trade ahead of the stream's clock waits for the trades after it (see StreamClock).
            let more = try await loop.poll(consumer)
            records += more
            emptyPolls = more.isEmpty ? emptyPolls + 1 : 0
            if more.isEmpty, Task.isShuttingDownGracefully || Task.isCancelled || emptyPolls >= 5 {
                // Nothing more for a second: the stream has said what it will say for now. When
                // draining, only once the input has all been staged. (Not the lag: on Kafka it
                // counts from the committed position, which this batch has not moved yet.)
                complete = loop.drain?.isFinished(.ingest) ?? true
            }
        }
        let rejected = outputs.count(where: { $0.topic == Topic.badStockData })
        let (last, state, metrics) = (records.last, validator.state(), loop.metrics)
        return { [outputs, rejected] in
            try await consumer.commit(publishing: outputs, through: last, state: state)
            metrics.add(.validated, outputs.count - rejected)
            metrics.add(.rejected, rejected)
        }
    }

    /// The one output of the staged record at `index`; nil when validation needs to see more of the
    /// records after it, which `complete` says cannot come for now.
    func route(
        _ records: UnsafeBufferPointer<ConsumedRecord>, at index: Int, validator: inout Validator,
        writer: inout JSONWriter, now: Int64, complete: Bool
    ) -> OutgoingRecord? {
        // Read in place: copying the record out would retain everything it holds, for every record.
        var headers = records[index].headers
        if headers[header: Header.source] == nil {
            // Written by another producer: its place in staging names it, stably across redeliveries.
            let place = "\(records[index].topic)/\(records[index].partition)/\(records[index].offset)"
            headers.append(RecordHeader(Header.source, place))
        }
        let reasons: [ReasonCode]
        let kind = headers.kind
        if kind == .raw {
            reasons = [.malformed]
        } else if kind == .quote {
            switch validator.validate(quoteJSON: records[index].value, receivedAt: records[index].timestamp) {
            case .valid(let quote):
                return OutgoingRecord(
                    topic: Topic.stockData, key: quote.symbol, value: quote.json(), headers: headers.naming(schemaOf: Topic.stockData),
                    timestamp: records[index].timestamp, inputPartition: records[index].partition,
                    inputOffset: records[index].offset)
            case .invalid(let codes):
                reasons = codes
            }
        } else {
            let occurrence = headers[header: Header.occurrence].flatMap { Int($0) } ?? 0
            let later = { (count: Int) in Self.laterTrades(records, after: index, count: count, complete: complete) }
            let redriven = headers[header: Header.redriven] != nil
            switch validator.validate(
                tradeJSON: records[index].value, occurrence: occurrence, receivedAt: records[index].timestamp,
                redriven: redriven, later: later)
            {
            case .valid(let trade):
                return OutgoingRecord(
                    topic: Topic.stockData, key: trade.symbol, value: trade.json(using: &writer),
                    headers: headers.naming(schemaOf: Topic.stockData), timestamp: records[index].timestamp, trade: trade.asWritten,
                    inputPartition: records[index].partition, inputOffset: records[index].offset)
            case .invalid(let codes):
                reasons = codes
            case .undecided:
                return nil
            }
        }
        var record = records[index]
        record.headers = headers
        var quarantined = QuarantineRecord(reasons: reasons, payload: record.value, origin: record.origin, quarantinedAt: now)
        var value = quarantined.json()
        if value.count > log.maxRecordBytes {
            // Escaping can make the quarantine record bigger than its input: keep a prefix.
            quarantined.payload = Array(record.value.prefix(QuarantineRecord.keptPayloadBytes))
            quarantined.origin.originalSize = quarantined.origin.originalSize ?? record.value.count
            value = quarantined.json()
        }
        headers.append(RecordHeader(Header.reasons, reasons.map(\.rawValue).joined(separator: ",")))
        return OutgoingRecord(
            topic: Topic.badStockData, key: record.key, value: value,
            headers: headers.naming(schemaOf: Topic.badStockData), timestamp: record.timestamp, inputPartition: record.partition,
            inputOffset: record.offset)
    }

    /// The timestamps of up to `count` trades staged after `index`.
    static func laterTrades(
        _ records: UnsafeBufferPointer<ConsumedRecord>, after index: Int, count: Int,
        complete: Bool
    ) -> Validator.LaterTrades {
        var timestamps: [Int64] = []
        var next = index + 1
        while timestamps.count < count, next < records.endIndex {
            let kind = records[next].headers.kind
            if kind != .raw, kind != .quote, let timestamp = (try? FinnhubTrade.parse(records[next].value))?.timestamp {
                timestamps.append(timestamp)
            }
            next += 1
        }
        return Validator.LaterTrades(timestamps: timestamps, complete: complete)
    }
}
