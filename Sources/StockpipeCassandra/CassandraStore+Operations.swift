import StockpipeCQL
import StockpipeCore

extension CassandraStore {
    public func recordJobRun(_ run: JobRunEntry) async throws {
        try await unavailableIfTransient {
            try await write([
                (
                    cql.insertJobRun,
                    [
                        .text(run.job), .timestamp(run.startedAt), .timestamp(run.scheduledAt), .timestamp(run.finishedAt),
                        .bigint(Int64(run.attempts)), .text(run.outcome.rawValue), .text(run.detail), .text(run.trigger.rawValue),
                        .text(run.state),
                    ]
                )
            ])
        }
    }

    public func jobRuns(job: String, limit: Int) async throws -> [JobRunEntry] {
        try await unavailableIfTransient {
            try await select(cql.jobRuns(limit: limit), [.text(job)], limit: limit).map { row in
                JobRunEntry(
                    job: row.text(0), scheduledAt: try row.int64(1), startedAt: try row.int64(2), finishedAt: try row.int64(3),
                    attempts: Int(try row.int64(4)), outcome: JobRunEntry.Outcome(rawValue: row.text(5)) ?? .failed,
                    detail: row.text(6), trigger: JobRunEntry.Trigger(rawValue: row.text(7)) ?? .schedule, state: row.text(8))
            }
        }
    }

    public func saveQualityReport(_ json: String, generatedAt: Int64) async throws {
        try await unavailableIfTransient {
            try await write([(cql.insertQualityReport, [.text("quality"), .timestamp(generatedAt), .text(json)])])
        }
    }

    public func latestQualityReport() async throws -> StoredQualityReport? {
        try await unavailableIfTransient {
            try await select(cql.latestQualityReport, [], limit: 1).first.map {
                StoredQualityReport(generatedAt: try $0.int64(0), json: $0.text(1))
            }
        }
    }

    /// Rows expire by the TTLs of `cassandra.ttl`, which the server applies itself.
    public func expire(before cutoff: Int64) async throws -> ExpiryResult {
        var result = ExpiryResult()
        result.expiresByItself = true
        return result
    }
}
