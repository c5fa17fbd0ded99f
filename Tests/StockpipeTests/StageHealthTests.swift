import Foundation
import StockpipeCore
import StockpipePipeline
import Testing

/// `stockpipe health --stage S`, the health check of the stage containers: a stage's process
/// leaves a heartbeat in its data directory, which tells a working stage from a frozen or gone one.
@Suite("Stage health", .timeLimit(.minutes(3)))
struct StageHealthTests {
    func health(_ stage: String, _ directory: String, maxAge: Int = 60) async throws -> ProcessResult {
        try await runStockpipe(["health", "--stage", stage, "--data-dir", directory, "--max-age", String(maxAge)])
    }

    /// Polls `health` until `accept` takes its answer, for at most 30 s.
    func awaitHealth(
        _ stage: String, _ directory: String, maxAge: Int = 60,
        until accept: (ProcessResult) -> Bool
    ) async throws -> ProcessResult {
        let deadline = ContinuousClock.now + .seconds(30)
        var result = try await health(stage, directory, maxAge: maxAge)
        while !accept(result) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            result = try await health(stage, directory, maxAge: maxAge)
        }
        return result
    }

    /// A heartbeat file with something else in it is one line saying so, for the user to remove,
    /// and a typed error for code that reads it.
    @Test func aFileThatIsNoHeartbeatIsOneLine() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        try FileManager.default.createDirectory(atPath: data + "/health", withIntermediateDirectories: true)
        try Data(#"{"stage":"validate","pid":"seven"}"#.utf8).write(to: URL(fileURLWithPath: data + "/health/validate.json"))
        #expect(throws: HeartbeatError.unreadable(path: data + "/health/validate.json")) {
            try Heartbeat.read(.validate, dataDirectory: data)
        }
        let result = try await health("validate", data)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr == "stockpipe: error: \(data)/health/validate.json is not a heartbeat file; remove it\n", "\(result.stderr)")
    }

    /// A heartbeat written by a stage reads back as written.
    @Test func aHeartbeatReadsBackAsWritten() throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        try FileManager.default.createDirectory(atPath: data + "/health", withIntermediateDirectories: true)
        try Data(#"{"beat":1733312345678,"pid":7,"stage":"load"}"#.utf8).write(to: URL(fileURLWithPath: data + "/health/load.json"))
        #expect(try Heartbeat.read(.load, dataDirectory: data) == Heartbeat(stage: .load, pid: 7, beat: 1_733_312_345_678))
    }

    @Test func aRunningStageIsHealthyAFrozenOneIsNotAndAStoppedOneLeavesNoHeartbeat() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let (process, _, _) = try startStockpipe(["ingest", "--source", "simulator", "--rate", "200", "--data-dir", data])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let healthy = try await awaitHealth("ingest", data) { $0.status == 0 }
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(healthy.stdout.contains("healthy: ingest (process \(process.processIdentifier)) went round its loop"), "\(healthy.stdout)")
        // Only the stages this process runs have a heartbeat.
        let validate = try await health("validate", data)
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("no heartbeat in \(data)/health/validate.json: is `stockpipe validate` running"), "\(validate.stdout)")

        // Frozen: its last beat grows old.
        kill(process.processIdentifier, SIGSTOP)
        let frozen = try await awaitHealth("ingest", data, maxAge: 2) { $0.status != 0 }
        #expect(frozen.status == 1)
        #expect(frozen.stdout.contains("(more than 2 s); process \(process.processIdentifier) is stuck"), "\(frozen.stdout)")
        kill(process.processIdentifier, SIGCONT)
        let thawed = try await awaitHealth("ingest", data, maxAge: 2) { $0.status == 0 }
        #expect(thawed.status == 0, "\(thawed.stdout)")

        // A graceful stop takes the heartbeat away.
        kill(process.processIdentifier, SIGTERM)
        #expect(await process.exited() == 0)
        let stopped = try await health("ingest", data)
        #expect(stopped.status == 1)
        #expect(stopped.stdout.contains("no heartbeat"), "\(stopped.stdout)")
    }

    @Test func aKilledStageIsNamedAsGone() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let (process, _, _) = try startStockpipe(["ingest", "--source", "simulator", "--rate", "200", "--data-dir", data])
        let healthy = try await awaitHealth("ingest", data) { $0.status == 0 }
        #expect(healthy.status == 0, "\(healthy.stdout)")
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        let gone = try await awaitHealth("ingest", data, maxAge: 1) { $0.status != 0 }
        #expect(gone.stdout.contains("its process \(process.processIdentifier) is gone"), "\(gone.stdout)")
    }

    @Test(arguments: [
        (["health", "--stage", "transform"], "--stage must be ingest, validate or load, not 'transform'"),
        (["health", "--stage", "load", "--url", "http://127.0.0.1:1/health"], "--stage reads a file, not an address"),
        (["health", "--stage", "load", "--max-age", "0"], "--max-age must be between 1 and 86400 seconds"),
    ])
    func mistakesAreOneLine(arguments: [String], message: String) async throws {
        let result = try await runStockpipe(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
