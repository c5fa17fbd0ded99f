import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import StockpipeApp
import StockpipeCore
import StockpipePipeline

/// The container health check: asks a dashboard in this container whether it can read its store,
/// or, with `--stage`, whether a stage in this container still goes round its loop.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask the dashboard's /health whether it is up and can read the store, or with --stage whether a "
            + "stage keeps working; exit 0 if so, 1 if not.",
        discussion: "The image's HEALTHCHECK. Asks http://127.0.0.1:PORT/health, PORT being the configured dashboard port "
            + "(STOCKPIPE_PORT, default 8080), unless --url is given. With --stage, reads the heartbeat that the stage's "
            + "process writes every 2 s to DATA_DIR/health/STAGE.json instead: healthy when the stage went round its loop "
            + "within --max-age seconds (a stage waiting for input goes round every 200 ms; one stuck, or waiting for an "
            + "unavailable store, does not).")

    @OptionGroup var common: CommonOptions
    @Option(help: ArgumentHelp("Ask this address instead.", valueName: "URL")) var url: String?
    @Option(help: ArgumentHelp("Seconds to wait for the answer.", valueName: "S")) var timeout = 5
    @Option(help: ArgumentHelp("Check this stage's heartbeat instead of the dashboard: ingest, validate or load.", valueName: "STAGE"))
    var stage: String?
    @Option(help: ArgumentHelp("With --stage: the oldest heartbeat that counts as healthy, in seconds.", valueName: "S"))
    var maxAge = 60

    func run() async throws {
        let settings = try common.settings()
        if let stage {
            try checkHeartbeat(stage, settings: settings)
            return
        }
        let address = url ?? "http://127.0.0.1:\(settings.port)/health"
        guard let parsed = URL(string: address), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw UserError("--url must be an http:// or https:// address, like http://127.0.0.1:8080/health")
        }
        guard (1...300).contains(timeout) else { throw UserError("--timeout must be between 1 and 300 seconds") }
        try common.checkpoint("ask \(address) whether the dashboard is healthy")
        let (status, body): (UInt, String)
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: address), timeout: .seconds(Int64(timeout)))
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            (status, body) = (response.status.code, String(buffer: bytes))
        } catch {
            print("unhealthy: no answer from \(address): \(error)")
            throw ExitCode.failure
        }
        guard status == 200 else {
            print("unhealthy: \(address) answered \(status) \(body)")
            throw ExitCode.failure
        }
        print("healthy: \(body)")
    }

    func checkHeartbeat(_ name: String, settings: Settings) throws {
        guard let stage = PipelineStage(rawValue: name) else {
            throw UserError("--stage must be ingest, validate or load, not '\(name)'")
        }
        guard url == nil else { throw UserError("--stage reads a file, not an address: leave out --url") }
        guard (1...86_400).contains(maxAge) else { throw UserError("--max-age must be between 1 and 86400 seconds") }
        let file = Heartbeat.file(of: stage, dataDirectory: settings.dataDirectory)
        try common.checkpoint("read \(file) and expect a beat within \(maxAge) s")
        guard let heartbeat = try Heartbeat.read(stage, dataDirectory: settings.dataDirectory) else {
            print("unhealthy: no heartbeat in \(file): is `stockpipe \(stage.rawValue)` running with this data directory?")
            throw ExitCode.failure
        }
        let age = Double(WallClock.milliseconds() - heartbeat.beat) / 1000
        let seconds = String(format: "%.1f", max(0, age))
        guard age <= Double(maxAge) else {
            let gone = kill(heartbeat.pid, 0) != 0 && errno == ESRCH
            print(
                "unhealthy: \(stage.rawValue) last went round its loop \(seconds) s ago (more than \(maxAge) s)"
                    + (gone ? "; its process \(heartbeat.pid) is gone" : "; process \(heartbeat.pid) is stuck or waiting for its store"))
            throw ExitCode.failure
        }
        print("healthy: \(stage.rawValue) (process \(heartbeat.pid)) went round its loop \(seconds) s ago")
    }
}
