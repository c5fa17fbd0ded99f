import StockpipeCore

/// What the load stage does with a batch the store refuses for a reason other than being
/// unavailable: it writes the batch apart, half by half, until the records the store refuses are
/// alone, and quarantines each of those as `store_rejected` with the store's error. A refusal that
/// is not about records (every record refused, or the quarantine's write refused too) stops the
/// stage with the store's error instead of quarantining everything.
extension LoadStage {
    static func writeApart(_ batch: StoreBatch, to store: any Store, refusal: any Error) async throws -> StoreWriteResult {
        var refused: [(record: StoreBatch, error: any Error)] = []
        var result = try await writeApart(batch, to: store, refusal: refusal, refused: &refused)
        // Every record refused alone is no longer about records: the store is broken. Stop, and say why.
        if batch.recordCount > 1, refused.count == batch.recordCount { throw refusal }
        for (record, error) in refused {
            result.add(try await quarantineRefused(record, by: store, refusal: error))
        }
        return result
    }

    private static func writeApart(
        _ batch: StoreBatch, to store: any Store, refusal: any Error,
        refused: inout [(record: StoreBatch, error: any Error)]
    ) async throws -> StoreWriteResult {
        guard batch.recordCount > 1 else {
            refused.append((batch, refusal))
            return StoreWriteResult()
        }
        var result = StoreWriteResult()
        for half in batch.halves() {
            do {
                result.add(try await writeWhenAvailable(half.preparedForInsert(), to: store))
            } catch let error where !(error is CancellationError) && !(error is DamagedDatabaseError) {
                result.add(try await writeApart(half, to: store, refusal: error, refused: &refused))
            }
        }
        return result
    }

    /// The one record of `batch`, quarantined as `store_rejected`.
    private static func quarantineRefused(_ batch: StoreBatch, by store: any Store, refusal: any Error) async throws -> StoreWriteResult {
        let reason = Self.describe(refusal)
        var quarantine = StoreBatch()
        if let incoming = batch.trades.first {
            var origin = incoming.origin
            origin.error = reason
            let record = QuarantineRecord(
                reasons: [.storeRejected], payload: incoming.trade.json(), origin: origin,
                quarantinedAt: WallClock.milliseconds())
            quarantine.quarantine.append(record)
            if let position = incoming.position { quarantine.quarantinePositions.append(position) }
        } else if var record = batch.quarantine.first {
            // A quarantined record the store cannot keep as it is: keep its payload's beginning and say why.
            record.reasons = [.storeRejected]
            record.origin.error = reason
            record.origin.originalSize = record.origin.originalSize ?? record.payload.count
            record.payload = Array(record.payload.prefix(1024))
            quarantine.quarantine.append(record)
            quarantine.quarantinePositions = Array(batch.quarantinePositions.prefix(1))
        } else {
            // A quote: nothing of it can be kept where the store refuses it.
            throw refusal
        }
        do {
            let result = try await writeWhenAvailable(quarantine, to: store)
            logger.error("the store refused a record; quarantined it as store_rejected", metadata: ["error": "\(reason)"])
            return result
        } catch {
            throw refusal
        }
    }

    /// The store's error in one line of at most 500 characters.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error).map { $0.isNewline ? " " : $0 }
        return String(text.prefix(500))
    }
}

extension StoreBatch {
    var recordCount: Int { trades.count + quarantine.count + quotes.count }

    /// The batch in two, each with about half of its records.
    func halves() -> [StoreBatch] {
        var first = StoreBatch()
        var second = StoreBatch()
        let total = recordCount
        var index = 0
        for trade in trades {
            if index < total / 2 { first.trades.append(trade) } else { second.trades.append(trade) }
            index += 1
        }
        for (offset, record) in quarantine.enumerated() {
            let position = offset < quarantinePositions.count ? quarantinePositions[offset] : nil
            if index < total / 2 { first.quarantine(record, readAt: position) } else { second.quarantine(record, readAt: position) }
            index += 1
        }
        for quote in quotes {
            if index < total / 2 { first.quotes.append(quote) } else { second.quotes.append(quote) }
            index += 1
        }
        return [first, second].filter { $0.recordCount > 0 }
    }

    mutating func quarantine(_ record: QuarantineRecord, readAt position: LogPosition?) {
        quarantine.append(record)
        if let position { quarantinePositions.append(position) }
    }
}

extension StoreWriteResult {
    mutating func add(_ other: StoreWriteResult) {
        inserted += other.inserted
        redelivered += other.redelivered
        duplicates += other.duplicates
        quarantined += other.quarantined
        quotes += other.quotes
    }
}
