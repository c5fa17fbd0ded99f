import GRDB
import StockpipeCore

extension SQLiteStore {
    /// Reports older than this are dropped when a new one is saved.
    static let qualityReportKeep: Int64 = 7 * 86_400_000

    public func recordJobRun(_ run: JobRunEntry) async throws {
        try await pool.checkedWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO job_runs (job, scheduled_at, started_at, finished_at, attempts, outcome, detail, trigger, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.job, run.scheduledAt, run.startedAt, run.finishedAt, run.attempts, run.outcome.rawValue,
                    run.detail, run.trigger.rawValue, run.state,
                ])
            try db.execute(
                sql: """
                    DELETE FROM job_runs WHERE job = ? AND id NOT IN (SELECT id FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?)
                    """, arguments: [run.job, run.job, JobRunEntry.historyLimit])
        }
    }

    public func jobRuns(job: String, limit: Int) async throws -> [JobRunEntry] {
        try await pool.checkedRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?", arguments: [job, limit]).map { row in
                JobRunEntry(
                    job: row["job"], scheduledAt: row["scheduled_at"], startedAt: row["started_at"], finishedAt: row["finished_at"],
                    attempts: row["attempts"], outcome: JobRunEntry.Outcome(rawValue: row["outcome"]) ?? .failed,
                    detail: row["detail"], trigger: JobRunEntry.Trigger(rawValue: row["trigger"]) ?? .schedule, state: row["state"])
            }
        }
    }

    public func saveQualityReport(_ json: String, generatedAt: Int64) async throws {
        try await pool.checkedWrite { db in
            try db.execute(sql: "INSERT OR REPLACE INTO quality_reports (generated_at, report) VALUES (?, ?)", arguments: [generatedAt, json])
            try db.execute(sql: "DELETE FROM quality_reports WHERE generated_at < ?", arguments: [generatedAt - Self.qualityReportKeep])
        }
    }

    public func latestQualityReport() async throws -> StoredQualityReport? {
        try await pool.checkedRead { db in
            try Row.fetchOne(db, sql: "SELECT generated_at, report FROM quality_reports ORDER BY generated_at DESC LIMIT 1").map {
                StoredQualityReport(generatedAt: $0["generated_at"], json: $0["report"])
            }
        }
    }

    /// One transaction; the trade counter is a running total, and expired quotes are added to a
    /// counter of their own, so the counts stay those of everything ever stored.
    public func expire(before cutoff: Int64) async throws -> ExpiryResult {
        try await pool.checkedWrite { db in
            var result = ExpiryResult()
            // By symbol, so each delete is a range of the primary key rather than a scan.
            for symbol in try String.fetchAll(db, sql: "SELECT DISTINCT symbol FROM candles_1m") {
                try db.execute(sql: "DELETE FROM trades WHERE symbol = ? AND ts < ?", arguments: [symbol, cutoff])
                result.trades += db.changesCount
            }
            try db.execute(sql: "DELETE FROM candles_1m WHERE start < ?", arguments: [cutoff - cutoff % 60_000])
            result.candles = db.changesCount
            try db.execute(sql: "DELETE FROM quotes WHERE received_at < ?", arguments: [cutoff])
            result.quotes = db.changesCount
            try db.execute(sql: "UPDATE counters SET value = value + ? WHERE name = 'quotes_expired'", arguments: [result.quotes])
            return result
        }
    }
}
