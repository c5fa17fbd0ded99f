import Foundation
import Testing

/// `kill -9` at random moments, then a restart: the final store must equal that of a run that was
/// never interrupted. Every stage commits its input position only after its output is durable.
@Suite("Crash safety", .serialized, .timeLimit(.minutes(6)))
struct CrashTests {
    @Test func killedRunsEndWithTheSameStoreAsAnUninterruptedRun() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("f.ndjson")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "120000", "--bad-fraction", "0.05", "--seed", "11"])
        #expect(simulate.status == 0)
        let replay = ["run", "--source", "replay", "--file", file, "--drain", "--no-dashboard", "--batch-size", "1500"]

        let started = ContinuousClock.now
        let reference = try await runStockpipe(replay + ["--data-dir", directory.file("reference")])
        #expect(reference.status == 0, "stderr: \(reference.stderr)")
        let runMilliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))

        // Each kill waits until that run has written to the store, so it lands mid-run, not during
        // start-up: on a busy machine start-up alone can outlast a delay taken from the clock. A store
        // still being created counts as no progress.
        var delays: [Int] = []
        var written = 0
        for _ in 0..<5 {
            let (process, _, _) = try startStockpipe(replay + ["--data-dir", directory.file("crashed")])
            while process.isRunning, (try? StoreSnapshot.rowCount(directory.file("crashed"))) ?? written <= written {
                try await Task.sleep(for: .milliseconds(5))
            }
            let delay = Int.random(in: 0...(runMilliseconds * 3 / 100))
            delays.append(delay)
            try await Task.sleep(for: .milliseconds(delay))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            await process.exited()
            written = try StoreSnapshot.rowCount(directory.file("crashed"))
        }
        // The kills must have landed mid-run, or this test would prove nothing.
        let interrupted = try #require(
            try parseJSON(
                try await runStockpipe(["status", "--json", "--data-dir", directory.file("crashed")]).stdout) as? [String: Any])
        let partial = try #require(interrupted["reconciliation"] as? [String: Any])
        #expect((partial["staged"] as? Int ?? 0) > 0)
        #expect((partial["stored"] as? Int ?? 0) + (partial["quarantined"] as? Int ?? 0) < 120_000, "kills \(delays) ms after a write")

        let final = try await runStockpipe(replay + ["--data-dir", directory.file("crashed")])
        #expect(final.status == 0, "stderr: \(final.stderr)")

        let expected = try StoreSnapshot(directory.file("reference"))
        let actual = try StoreSnapshot(directory.file("crashed"))
        #expect(expected.trades.count > 100_000)
        #expect(actual.trades == expected.trades, "trades differ after kills at \(delays) ms")
        #expect(actual.candles == expected.candles, "candles differ after kills at \(delays) ms")
        #expect(actual.quarantine == expected.quarantine, "quarantine differs after kills at \(delays) ms")
        let status = try #require(
            try parseJSON(try await runStockpipe(["status", "--json", "--data-dir", directory.file("crashed")]).stdout)
                as? [String: Any])
        #expect((status["reconciliation"] as? [String: Any])?["balanced"] as? Bool == true)
    }
}
