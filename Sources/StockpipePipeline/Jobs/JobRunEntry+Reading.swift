import Foundation
import StockpipeCore
import StockpipeSchedule

extension JobRunEntry {
    public init(_ run: JobRun) {
        let outcome: Outcome
        var detail = ""
        var state = ""
        switch run.outcome {
        case .succeeded(let result):
            outcome = .succeeded
            detail = result.summary
            state = result.state
        case .failed(let message):
            outcome = .failed
            detail = message
        case .timedOut:
            outcome = .timedOut
            detail = "cut off at its timeout"
        case .skippedStillRunning:
            outcome = .skipped
            detail = "the previous run was still going"
        }
        self.init(
            job: run.job, scheduledAt: run.scheduledAt.milliseconds, startedAt: run.startedAt.milliseconds,
            finishedAt: run.finishedAt.milliseconds, attempts: run.attempts, outcome: outcome, detail: detail,
            trigger: run.manual ? .manual : .schedule, state: state)
    }
}

extension Date {
    public var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1_000).rounded()) }
}

extension ValidationRules {
    /// A short digest of every threshold: equal rules, equal fingerprints.
    public var fingerprint: String {
        let text =
            "\(maxFutureSkew)|\(maxAge)|\(priceJumpFraction)|\(priceJumpWindow)|\(symbolPattern)|"
            + (allowedSymbols.map { $0.sorted().joined(separator: ",") } ?? "*")
        return String(UInt64(bitPattern: StableHasher.hash64(text)), radix: 16)
    }
}

extension JobRunEntry {
    /// The newest `limit` runs of `jobs` together, newest first (`jobs history`, `/api/v1/jobs`).
    public static func recent(in store: any Store, jobs: [String], limit: Int) async throws -> [JobRunEntry] {
        var runs: [JobRunEntry] = []
        for job in jobs { runs += try await store.jobRuns(job: job, limit: limit) }
        return Array(runs.sorted { ($0.startedAt, $0.finishedAt) > ($1.startedAt, $1.finishedAt) }.prefix(limit))
    }

    /// `2026-12-02 19:04:05`, UTC.
    public static func time(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(milliseconds: milliseconds))
    }
}
