import AsyncHTTPClient
import Foundation
import StockpipeCore
import Testing

@testable import StockpipeDashboard
@testable import StockpipePipeline

/// A stage's own process with `--metrics-port 0`, as each stage runs in the Compose deployment.
final class RunningStage {
    let process: Process
    /// `http://127.0.0.1:PORT/`.
    let url: String

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> RunningStage {
        let (process, _, stderr) = try startProgram(stockpipeBinary, arguments + ["--metrics-port", "0"], environment: environment)
        for _ in 0..<600 where process.isRunning {
            let text = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            if let match = text.firstMatch(of: /metrics at (http:\/\/127\.0\.0\.1:[1-9][0-9]*\/)metrics/) {
                return RunningStage(process: process, url: String(match.output.1))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { process.interrupt() }
        throw StageDidNotStart(description: "\(arguments[0]) served no metrics: \((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "")")
    }

    func get(_ path: String, token: String? = nil) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// The samples of `/metrics`, by name and labels as served: `stockpipe_records_total{counter="staged"}`.
    func samples() async throws -> [String: Double] {
        let (status, body) = try await get("metrics")
        #expect(status == 200)
        return Self.samples(in: body)
    }

    static func samples(in text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let gap = line.lastIndex(of: " "), let value = Double(line[line.index(after: gap)...]) else { continue }
            samples[String(line[..<gap])] = value
        }
        return samples
    }

    func stop() async -> Int32 {
        if process.isRunning { process.interrupt() }
        return await process.exited()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct StageDidNotStart: Error, CustomStringConvertible {
    var description: String
}

@Suite("Stage metrics", .timeLimit(.minutes(3)))
struct StageMetricsTests {
    /// Three processes, one per stage, over one data directory: each serves its own counters,
    /// batch times and heartbeat; load the latency histogram and its recent quantiles; and what
    /// they count adds up to what the store holds.
    @Test func eachStageProcessServesItsOwnMetricsAndHealth() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let ingest = try await RunningStage.start([
            "ingest", "--rate", "4000", "--limit", "4000", "--bad-fraction", "0.05", "--data-dir", data,
        ])
        let validate = try await RunningStage.start(["validate", "--data-dir", data])
        let load = try await RunningStage.start(["load", "--data-dir", data])

        let deadline = ContinuousClock.now + .seconds(90)
        var (staged, loaded) = (0.0, -1.0)
        while ContinuousClock.now < deadline && !(staged == 4_000 && loaded == staged) {
            try await Task.sleep(for: .milliseconds(250))
            staged = try await ingest.samples()[#"stockpipe_records_total{counter="staged"}"#] ?? 0
            loaded = try await load.samples()[#"stockpipe_records_total{counter="loaded"}"#] ?? 0
        }
        #expect(staged == 4_000)
        #expect(loaded == staged)

        let ingested = try await ingest.samples()
        let validated = try await validate.samples()
        let stored = try await load.samples()
        let accepted = validated[#"stockpipe_records_total{counter="validated"}"#] ?? 0
        let rejected = validated[#"stockpipe_records_total{counter="rejected"}"#] ?? 0
        #expect(rejected > 0 && accepted > 0)
        #expect(accepted + rejected == staged)
        // Each process counts only what its own stages did.
        #expect(ingested[#"stockpipe_records_total{counter="validated"}"#] ?? 0 == 0)
        #expect(validated[#"stockpipe_records_total{counter="staged"}"#] ?? 0 == 0)

        // Every record validate accepted reached load through stock_data: one latency each.
        #expect(stored["stockpipe_ingest_to_store_seconds_count"] == accepted)
        #expect(stored[#"stockpipe_ingest_to_store_seconds_bucket{le="+Inf"}"#] == accepted)
        let buckets = stored.filter { $0.key.hasPrefix("stockpipe_ingest_to_store_seconds_bucket") }
        #expect(buckets.count >= 20, "finer buckets than swift-prometheus's default eleven: \(buckets.keys.sorted())")
        let p50 = try #require(stored[#"stockpipe_ingest_to_store_recent_seconds{percentile="50"}"#])
        let p99 = try #require(stored[#"stockpipe_ingest_to_store_recent_seconds{percentile="99"}"#])
        let max = try #require(stored[#"stockpipe_ingest_to_store_recent_seconds{percentile="100"}"#])
        #expect(0 <= p50 && p50 <= p99 && p99 <= max, "\(p50) \(p99) \(max)")

        for (stage, samples) in [("ingest", ingested), ("validate", validated), ("load", stored)] {
            #expect((samples[#"stockpipe_batch_seconds_count{stage="\#(stage)"}"#] ?? 0) > 0, "\(stage)")
            let sinceLoop = try #require(samples[#"stockpipe_stage_since_loop_seconds{stage="\#(stage)"}"#], "\(stage)")
            #expect(sinceLoop < 60)
        }

        // What they counted is what the store holds.
        let status = try await runStockpipe(["status", "--json", "--data-dir", data])
        let report = try #require(try parseJSON(status.stdout) as? [String: Any])
        let reconciliation = try #require(report["reconciliation"] as? [String: Any])
        #expect((reconciliation["staged"] as? Int).map(Double.init) == staged, "\(status.stdout)")
        let inStore = (reconciliation["stored"] as? Int ?? -1) + (reconciliation["quarantined"] as? Int ?? -1)
        let loadCounted =
            (stored[#"stockpipe_records_total{counter="stored"}"#] ?? 0) + (stored[#"stockpipe_records_total{counter="quarantined"}"#] ?? 0)
        #expect(Double(inStore) == loadCounted, "\(status.stdout)")
        #expect(reconciliation["balanced"] as? Bool == true)

        for (stage, process) in [("ingest", ingest), ("validate", validate), ("load", load)] {
            let (code, body) = try await process.get("health")
            #expect(code == 200, "\(body)")
            let health = try #require(try parseJSON(body) as? [String: Any])
            #expect(health["status"] as? String == "ok")
            let stages = try #require(health["stages"] as? [[String: Any]])
            #expect(stages.map { $0["stage"] as? String } == [stage])
            // Prometheus' own checker reads what it would scrape.
            if TestTool.promtool.path != nil || TestTool.required {
                let text = try await process.get("metrics").body
                let file = directory.file("\(stage).prom")
                try text.write(toFile: file, atomically: true, encoding: .utf8)
                let checked = try await runProgram("/bin/sh", ["-c", "\(try TestTool.promtool.require()) check metrics < \(file)"])
                #expect(checked.status == 0, "\(stage): \(checked.stdout)\(checked.stderr)")
            }
        }
        for process in [ingest, validate, load] { #expect(await process.stop() == 0) }
    }

    /// `serve` beside stages that run in other processes draws each stage's rate and lag from the
    /// log's positions: the pipeline panel works however the stages are deployed.
    @Test func serveDrawsTheRatesOfStagesInOtherProcesses() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let ingest = try await RunningStage.start(["ingest", "--rate", "400", "--data-dir", data])
        let validate = try await RunningStage.start(["validate", "--data-dir", data])
        let load = try await RunningStage.start(["load", "--data-dir", data])
        let server = try await RunningDashboard.start(["serve", "--port", "0", "--data-dir", data])
        var rates: [String: Double] = [:]
        var pipeline: [String: Any] = [:]
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && !(["ingest", "validate", "load"].allSatisfy { (rates[$0] ?? 0) > 100 }) {
            try await Task.sleep(for: .milliseconds(500))
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server.url + "api/v1/status"), timeout: .seconds(20))
            let status = try parseJSON(String(buffer: try await response.body.collect(upTo: 1 << 22))) as? [String: Any]
            pipeline = status?["pipeline"] as? [String: Any] ?? [:]
            rates = pipeline["rates"] as? [String: Double] ?? [:]
        }
        for stage in ["ingest", "validate", "load"] {
            #expect((rates[stage] ?? 0) > 100, "\(stage): \(pipeline)")
        }
        #expect((pipeline["lag"] as? [String: Any])?.keys.sorted() == ["load", "load-quarantine", "validate"], "\(pipeline)")
        #expect(((pipeline["history"] as? [Any]) ?? []).count >= 2)
        // The latency is the load processes' to measure: the page says where to find it.
        #expect(pipeline["latencyMeasuredHere"] as? Bool == false, "\(pipeline)")
        #expect(await server.stop() == 0)
        for process in [ingest, validate, load] { #expect(await process.stop() == 0) }
    }

    /// Beyond loopback the endpoint needs the dashboard's token, which `/metrics` then asks for and
    /// `/health` (an orchestrator's probe) does not.
    @Test func anEndpointBeyondLoopbackNeedsTheTokenAndMetricsAskForIt() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let exposed = try await runStockpipe(["validate", "--data-dir", data, "--metrics-host", "0.0.0.0", "--metrics-port", "0"])
        #expect(exposed.status == 2)
        #expect(
            exposed.stderr
                == "stockpipe: error: the metrics endpoint on 0.0.0.0 would be reachable from the network without a token: "
                + "set a token (STOCKPIPE_DASHBOARD_TOKEN or dashboard-token; Prometheus sends it as a bearer token), "
                + "or --metrics-host 127.0.0.1\n", "\(exposed.stderr)")

        let token = "stage-metrics-token-0123456789"
        let validate = try await RunningStage.start(["validate", "--data-dir", data], environment: ["STOCKPIPE_DASHBOARD_TOKEN": token])
        #expect(try await validate.get("metrics").status == 401)
        let (status, body) = try await validate.get("metrics", token: token)
        #expect(status == 200)
        #expect(body.contains("stockpipe_stage_since_loop_seconds{stage=\"validate\"}"), "\(body)")
        // Only what this process runs and has measured: no heartbeat of ingest, no latency before a store.
        #expect(!body.contains("stage=\"ingest\"") && !body.contains("ingest_to_store_recent_seconds{"), "\(body)")
        #expect(!body.contains(token))
        #expect(try await validate.get("health").status == 200)
        #expect(try await validate.get("metrics", token: token + "x").status == 401)
        #expect(await validate.stop() == 0)
    }

    /// A port another process holds is one line naming the setting, not a stack trace.
    @Test func aPortInUseIsOneLine() async throws {
        let directory = try TemporaryDirectory()
        let first = try await RunningStage.start(["validate", "--data-dir", directory.file("one")])
        let port = try #require(first.url.firstMatch(of: /:([0-9]+)\//).map { String($0.output.1) })
        let second = try await runStockpipe(
            ["validate", "--data-dir", directory.file("two"), "--metrics-port", port], timeout: .seconds(60))
        #expect(second.status == 2)
        #expect(
            second.stderr.hasSuffix(
                "stockpipe: error: the metrics endpoint cannot listen on 127.0.0.1:\(port): the port is in use; "
                    + "choose another with --metrics-port (or metrics-port), or leave it unset\n"), "\(second.stderr)")
        #expect(await first.stop() == 0)
    }

    /// `/health` is 503 when a stage has not gone round its loop for a minute (stuck, or waiting
    /// for a store that does not answer), and says which.
    @Test func healthSaysWhichStageIsStuck() throws {
        let metrics = PipelineMetrics()
        let endpoint = StageEndpoint(metrics: metrics, configuration: .init(), registry: .init())
        #expect(endpoint.health().status == "starting")
        metrics.beat(.load, loop: "stock_data")
        let now = WallClock.milliseconds()
        #expect(endpoint.health(now: now).status == "ok")
        let stuck = endpoint.health(now: now + 61_000)
        #expect(stuck.status == "stuck")
        #expect(stuck.stages.map(\.stage) == ["load"])
        #expect((stuck.stages.first?.secondsSinceLoop ?? 0) >= 61)
    }
}
