import Logging
import ServiceLifecycle
import StockpipeCore

/// Consumes `stock_data` and `bad_stock_data` into the store. Each batch is written to the store
/// (durably, idempotently) before its position is committed, so a crash between the two only
/// makes the store see the batch again, which changes nothing.
public struct LoadStage: Service {
    let log: any Log
    let store: any Store
    let batchSize: Int
    let drain: DrainCoordinator?
    let metrics: PipelineMetrics

    public init(log: any Log, store: any Store, batchSize: Int, drain: DrainCoordinator?, metrics: PipelineMetrics) {
        self.log = log
        self.store = store
        self.batchSize = batchSize
        self.drain = drain
        self.metrics = metrics
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.consume(Topic.stockData, group: ConsumerGroup.load) }
            group.addTask { try await self.consume(Topic.badStockData, group: ConsumerGroup.loadQuarantine) }
            try await group.waitForAll()
        }
        drain?.markFinished(.load)
    }

    private func consume(_ topic: String, group: String) async throws {
        // Store transactions are synced to disk, so fewer, larger ones go much faster.
        let loop = ConsumerLoop(
            stage: .load, topic: topic, group: group, maxRecords: batchSize * 4, drain: drain,
            metrics: metrics)
        try await loop.run(on: log) { records, consumer in
            let batch = topic == Topic.stockData ? tradeBatch(records).preparedForInsert() : quarantineBatch(records)
            let (store, metrics, last, consumed) = (store, metrics, records.last, records.count)
            let stagedAt = topic == Topic.stockData ? records.map(\.timestamp) : []
            return {
                let result = try await Self.write(batch, to: store)
                metrics.recordLatency(stagedAt: stagedAt, now: WallClock.milliseconds())
                try await consumer.commit(publishing: [], through: last, state: nil)
                metrics.add(.stored, result.inserted)
                metrics.add(.duplicates, result.duplicates)
                metrics.add(.quarantineLoaded, result.quarantined)
                metrics.add(.loaded, consumed)
            }
        }
    }

    /// Writes the batch. A batch the store refuses for another reason than being unavailable is
    /// written apart, so that only the records it refuses are quarantined (see ``writeApart``).
    static func write(_ batch: StoreBatch, to store: any Store) async throws -> StoreWriteResult {
        do {
            return try await writeWhenAvailable(batch, to: store)
        } catch let error where !(error is CancellationError) && !(error is DamagedDatabaseError) && batch.recordCount > 0 {
            // A damaged file is no refusal of records: writing apart would quarantine good trades.
            logger.warning(
                "the store refused a batch; writing it apart to find what it refuses",
                metadata: ["records": "\(batch.recordCount)", "error": "\(describe(error))"])
            return try await writeApart(batch, to: store, refusal: error)
        }
    }

    /// Writes the batch, again and again while the store is unavailable (waits doubling to 30 s),
    /// so that a store restart pauses the stage instead of ending it.
    static func writeWhenAvailable(_ batch: StoreBatch, to store: any Store) async throws -> StoreWriteResult {
        var wait = Duration.milliseconds(500)
        while true {
            do {
                return try await store.write(batch)
            } catch let error as StoreUnavailable {
                let pause = wait
                logger.warning("the store is unavailable; writing the batch again in \(pause)", metadata: ["error": "\(error)"])
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                wait = min(wait * 2, .seconds(30))
            }
        }
    }

    static let logger = Logger(label: "stockpipe.load")

    /// A record that cannot be read is quarantined as `malformed` rather than stopping the stage.
    func tradeBatch(_ records: [ConsumedRecord]) -> StoreBatch {
        var batch = StoreBatch()
        batch.trades.reserveCapacity(records.count)
        records.withUnsafeBufferPointer { records in
            for index in records.indices {
                if records[index].headers.kind == .quote {
                    if let quote = try? Quote(json: records[index].value) {
                        batch.quotes.append(quote)
                    } else {
                        batch.quarantine(unreadable(records[index]), readAt: records[index].position)
                    }
                } else if let trade = records[index].trade ?? (try? Trade(json: records[index].value)) {
                    batch.trades.append(
                        IncomingTrade(
                            trade: trade, origin: records[index].origin,
                            redriven: records[index].headers[header: Header.redriven] != nil,
                            position: records[index].position))
                } else {
                    batch.quarantine(unreadable(records[index]), readAt: records[index].position)
                }
            }
        }
        return batch
    }

    func quarantineBatch(_ records: [ConsumedRecord]) -> StoreBatch {
        var batch = StoreBatch()
        for record in records {
            batch.quarantine((try? QuarantineRecord(json: record.value)) ?? unreadable(record), readAt: record.position)
        }
        return batch
    }

    private func unreadable(_ record: ConsumedRecord) -> QuarantineRecord {
        QuarantineRecord(
            reasons: [.malformed], payload: record.value, origin: record.origin,
            quarantinedAt: WallClock.milliseconds())
    }
}

extension ConsumedRecord {
    var position: LogPosition { LogPosition(topic: topic, partition: partition, offset: offset, appendedAt: timestamp) }
}
