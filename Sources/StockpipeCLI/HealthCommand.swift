import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import StockpipePipeline

/// The container health check: asks a dashboard in this container whether it can read its store.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask the dashboard's /health whether it is up and can read the store; exit 0 if so, 1 if not.",
        discussion: "The image's HEALTHCHECK. Asks http://127.0.0.1:PORT/health, PORT being the configured dashboard port "
            + "(STOCKPIPE_PORT, default 8080), unless --url is given.")

    @OptionGroup var common: CommonOptions
    @Option(help: ArgumentHelp("Ask this address instead.", valueName: "URL")) var url: String?
    @Option(help: ArgumentHelp("Seconds to wait for the answer.", valueName: "S")) var timeout = 5

    func run() async throws {
        let settings = try common.settings()
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
}
