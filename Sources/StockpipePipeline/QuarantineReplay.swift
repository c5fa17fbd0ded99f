import StockpipeCore

/// Sends quarantined records through validation again, for instance after a rule change.
///
/// Each keeps its original source, so identity and duplicate detection still see the same record;
/// one that now passes is stored and leaves the quarantine, one that fails again is updated in place.
public enum QuarantineReplay {
    /// Stages the quarantined records (all, or those with `reason`) again; returns how many.
    public static func restage(log: any Log, store: any Store, reason: ReasonCode?) async throws -> Int {
        try await restage(log: log, records: try await store.quarantine(reason: reason, limit: .max))
    }

    /// Stages the quarantined records that `include` picks again; returns how many.
    public static func restage(log: any Log, store: any Store, where include: (QuarantineRecord) -> Bool) async throws -> Int {
        try await restage(log: log, records: try await store.quarantine(reason: nil, limit: .max).filter(include))
    }

    private static func restage(log: any Log, records: [QuarantineRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        let session = try await log.source(name: StatusReport.redriveSource)
        var counters = IngestCounters(json: session.checkpoint?.state)
        let staged = records.map { record in
            var headers = [
                RecordHeader(kind: record.reasons == [.malformed] ? .raw : .trade),
                RecordHeader(Header.source, record.origin.source),
                RecordHeader(Header.redriven, "1"),
                RecordSchema.header(for: Topic.staging),
            ]
            if record.origin.occurrence > 0 { headers.append(RecordHeader(Header.occurrence, String(record.origin.occurrence))) }
            if let size = record.origin.originalSize { headers.append(RecordHeader(Header.originalSize, String(size))) }
            let symbol = (try? FinnhubTrade.parse(record.payload))?.symbol ?? ""
            // Validated against the time it was first received (quarantine follows receipt within moments).
            return OutgoingRecord(
                topic: Topic.staging, key: symbol, value: record.payload, headers: headers,
                timestamp: record.quarantinedAt)
        }
        counters.messages += staged.count
        counters.trades += staged.count
        let position = (session.checkpoint?.position ?? 0) + Int64(staged.count)
        try await session.commit(publishing: staged, checkpoint: SourceCheckpoint(position: position, state: counters.json()))
        try await session.flush()
        await session.close()
        return staged.count
    }
}
