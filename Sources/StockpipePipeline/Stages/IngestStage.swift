import Logging
import ServiceLifecycle
import StockpipeCore

/// Reads a source and stages one record per trade (key = symbol, raw JSON kept). A message that
/// is not JSON or not a known message is staged whole, to be quarantined as `malformed`; pings are
/// counted and ignored; feed errors are reported to the operator.
public struct IngestStage: Service {
    let source: any FeedSource
    let log: any Log
    let drain: DrainCoordinator?
    let metrics: PipelineMetrics
    let logger: Logger
    let backpressure: Backpressure?
    /// Records a commit aims at: fewer, larger commits cost less per record, and this many keep
    /// a batch's memory small. Finnhub messages hold a few trades, simulated and recorded ones up
    /// to a few hundred, so the messages asked for follow the trades the last ones held.
    static let recordsPerBatch = 4_096
    static let maxMessagesPerBatch = 1_024

    public init(
        source: any FeedSource, log: any Log, drain: DrainCoordinator?, metrics: PipelineMetrics, logger: Logger,
        backpressure: Backpressure? = nil
    ) {
        self.backpressure = backpressure
        self.source = source
        self.log = log
        self.drain = drain
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        guard let session = try await openSession() else { return }
        do {
            try await ingest(into: session)
        } catch {
            // Gives the source up at once, so that a standby takes it over without waiting out the lease.
            await session.close()
            throw error
        }
        await session.close()
        drain?.markFinished(.ingest)
    }

    func ingest(into session: any SourceSession) async throws {
        var counters = IngestCounters(json: session.checkpoint?.state)
        var reader = try source.open(at: session.checkpoint?.position, mark: counters.file)
        var writes = CommitPipeline()
        var messagesPerBatch = 128
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            metrics.beat(.ingest, loop: source.name)
            await backpressure?.wait()
            guard let messages = try await reader.next(maxMessages: messagesPerBatch) else {
                if drain != nil { break }
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            if messages.isEmpty { continue }
            let started = ContinuousClock.now
            var records = stage(messages, counters: &counters)
            for index in records.indices where records[index].value.count > log.maxRecordBytes {
                records[index] = fittingTheLog(records[index])
            }
            if messages.count == messagesPerBatch {
                let perMessage = max(1, records.count / messages.count)
                messagesPerBatch = max(1, min(Self.maxMessagesPerBatch, Self.recordsPerBatch / perMessage))
            }
            counters.file = reader.mark
            let (checkpoint, metrics) = (SourceCheckpoint(position: reader.position, state: counters.json()), metrics)
            try await writes.submit { [records] in
                try await session.commit(publishing: records, checkpoint: checkpoint)
                metrics.add(.staged, records.count)
                metrics.recordBatch(.ingest, took: ContinuousClock.now - started)
            }
        }
        try await writes.finish()
        try await session.flush()
    }

    /// Takes the source, which may mean waiting while another process ingests it (a standby):
    /// its heartbeat goes on meanwhile, since waiting for its turn is not being stuck. Nil when
    /// the process is told to stop first.
    func openSession() async throws -> (any SourceSession)? {
        let beats = Task { [metrics, name = source.name] in
            while !Task.isCancelled {
                metrics.beat(.ingest, loop: name)
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { beats.cancel() }
        do {
            return try await cancelWhenGracefulShutdown { [log, source] in
                try await log.source(name: source.name, replayable: source.replayable)
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return nil
        }
    }

    /// A record bigger than the log takes is cut to a prefix, marked with its original size, and
    /// staged as `raw`, so that validation quarantines it as `malformed` instead of the run failing.
    func fittingTheLog(_ record: OutgoingRecord) -> OutgoingRecord {
        guard record.value.count > log.maxRecordBytes else { return record }
        var cut = record
        cut.value = Array(record.value.prefix(QuarantineRecord.keptPayloadBytes))
        cut.headers =
            cut.headers.filter { $0.name != Header.kind && $0.name != Header.originalSize }
            + [RecordHeader(kind: .raw), RecordHeader(Header.originalSize, String(record.value.count))]
        return cut
    }

    /// The `schema` header of every staged record.
    static let schema = RecordSchema.header(for: Topic.staging)

    func stage(_ messages: [FeedMessageText], counters: inout IngestCounters) -> [OutgoingRecord] {
        let now = WallClock.milliseconds()
        var records: [OutgoingRecord] = []
        records.reserveCapacity(messages.count * 8)
        for message in messages {
            counters.messages += 1
            let origin = "\(source.name):\(message.label)"
            let kind: FeedMessage =
                message.originalSize != nil
                ? .malformed : message.bytes.withUnsafeBytes { FeedMessage.classify($0) }
            switch kind {
            case .trades(let ranges):
                if ranges.isEmpty { counters.empty += 1 }
                appendTradeRecords(message.bytes, ranges: ranges, origin: origin, now: now, to: &records)
                counters.trades += ranges.count
            case .quote(let symbol):
                counters.quotes += 1
                records.append(
                    OutgoingRecord(
                        topic: Topic.staging, key: symbol ?? "", value: message.bytes,
                        headers: [RecordHeader(kind: .quote), RecordHeader(Header.source, origin), Self.schema],
                        timestamp: now))
            case .ping:
                counters.pings += 1
                metrics.add(.ignored, 1)
            case .error(let text):
                counters.errors += 1
                metrics.add(.ignored, 1)
                logger.warning("the feed reported an error", metadata: ["message": "\(text.prefix(500))", "source": "\(source.name)"])
            case .malformed:
                counters.malformed += 1
                var headers = [RecordHeader(kind: .raw), RecordHeader(Header.source, origin), Self.schema]
                if let size = message.originalSize { headers.append(RecordHeader(Header.originalSize, String(size))) }
                records.append(OutgoingRecord(topic: Topic.staging, key: "", value: message.bytes, headers: headers, timestamp: now))
            }
        }
        return records
    }

    /// One record per element. Elements with the same JSON text in one message get increasing
    /// occurrence numbers, which keep them distinct trades. (Elements are told apart by a 64-bit
    /// digest: should two different ones collide, only their occurrence numbers differ, and their
    /// identities differ anyway by content.)
    private func appendTradeRecords(
        _ bytes: [UInt8], ranges: [Range<Int>], origin: String, now: Int64, to records: inout [OutgoingRecord]
    ) {
        var seen: [UInt64: Int] = [:]
        let prefix = origin + "#"
        for (index, range) in ranges.enumerated() {
            let value = Array(bytes[range])
            let symbol = value.withUnsafeBytes { FinnhubTrade.symbol(in: $0) }
            var headers = [RecordHeader(kind: .trade), RecordHeader(Header.source, prefix + String(index)), Self.schema]
            if ranges.count > 1 {
                let digest = value.withUnsafeBytes { StableHasher.hash64(bytes: $0) }
                let occurrence = seen[digest, default: 0]
                seen[digest] = occurrence + 1
                if occurrence > 0 { headers.append(RecordHeader(Header.occurrence, String(occurrence))) }
            }
            records.append(
                OutgoingRecord(topic: Topic.staging, key: symbol ?? "", value: value, headers: headers, timestamp: now))
        }
    }
}
