import AsyncHTTPClient
import Foundation
import Testing

/// An alert reaches someone: Prometheus scrapes a stage's metrics port with the bearer token, the
/// stage's process dies, the shipped rule fires, and the shipped Alertmanager routing posts it to
/// a webhook. Debian's Prometheus 2.42 and Alertmanager 0.25 run the repository's files with two
/// changes: every `for:` is 0s (the test does not wait minutes), and the webhook's `url_file`,
/// which Alertmanager reads from 0.26 on (the Compose image is 0.28), is the receiver's `url`.
@Suite("Alert delivery", .timeLimit(.minutes(3)))
struct AlertDeliveryTests {
    static let root = DeploymentTests.root

    /// A webhook receiver: every POST body on its own line in `file`.
    static let receiver = """
        import http.server, sys
        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with open(sys.argv[2], "ab") as out:
                    out.write(body.replace(b"\\n", b" ") + b"\\n")
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
        """

    @Test(TestTool.prometheus.condition)
    func aStageThatDiesIsPostedToTheWebhook() async throws {
        let alertmanager = try TestTool.prometheus.require()
        let directory = try TemporaryDirectory()
        let token = "alert-delivery-token-0123456789"
        let stage = try await RunningStage.start(
            ["validate", "--data-dir", directory.file("data")], environment: ["STOCKPIPE_DASHBOARD_TOKEN": token])
        let stageTarget = try #require(stage.url.firstMatch(of: /http:\/\/(127\.0\.0\.1:[0-9]+)\//).map { String($0.output.1) })
        let base = try freeConsecutivePorts(3)
        let (webhookPort, alertmanagerPort, prometheusPort) = (base, base + 1, base + 2)

        let posted = directory.file("posted.ndjson")
        _ = FileManager.default.createFile(atPath: posted, contents: nil)
        let script = try directory.write("receiver.py", lines: [Self.receiver])
        let (receiver, _, _) = try startProgram("/usr/bin/python3", [script, String(webhookPort), posted])
        defer { kill(receiver.processIdentifier, SIGKILL) }

        var routing = try String(contentsOfFile: Self.root + "/deploy/alertmanager/alertmanager.yml", encoding: .utf8)
        #expect(routing.contains("url_file: /alertmanager/webhook-url"))
        routing = routing.replacingOccurrences(of: "url_file: /alertmanager/webhook-url", with: "url: http://127.0.0.1:\(webhookPort)/")
            .replacingOccurrences(of: "group_wait: 30s", with: "group_wait: 1s")
        let routingFile = try directory.write("alertmanager.yml", lines: [routing])
        let (manager, _, managerLog) = try startProgram(
            alertmanager,
            [
                "--config.file=\(routingFile)", "--storage.path=\(directory.file("am"))",
                "--web.listen-address=127.0.0.1:\(alertmanagerPort)", "--cluster.listen-address=",
            ])
        defer { kill(manager.processIdentifier, SIGKILL) }

        let rules = try String(contentsOfFile: Self.root + "/deploy/prometheus/alerts.yml", encoding: .utf8)
            .replacing(/for: [0-9]+m/, with: "for: 0s")
        _ = try directory.write("alerts.yml", lines: [rules])
        _ = try directory.write("token", lines: [token])
        let configuration = try directory.write(
            "prometheus.yml",
            lines: [
                "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                "rule_files: [alerts.yml]",
                "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:\(alertmanagerPort)']}]}]}",
                "scrape_configs:",
                "  - job_name: stockpipe-stages",
                "    authorization: {type: Bearer, credentials_file: token}",
                "    static_configs: [{targets: ['\(stageTarget)'], labels: {service: validate}}]",
            ])
        let (prometheus, _, prometheusLog) = try startProgram(
            "/usr/bin/prometheus",
            [
                "--config.file=\(configuration)", "--storage.tsdb.path=\(directory.file("tsdb"))",
                "--web.listen-address=127.0.0.1:\(prometheusPort)",
            ])
        defer { kill(prometheus.processIdentifier, SIGKILL) }

        // Prometheus reads the stage's metrics with the token: up is 1 and the stage's heartbeat is there.
        let query = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query="
        func value(_ expression: String) async throws -> String? {
            let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            guard let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: query + encoded), timeout: .seconds(10)) else {
                return nil
            }
            // Starting, Prometheus answers 503 in plain text.
            let body = (try? parseJSON(String(buffer: try await response.body.collect(upTo: 1 << 20)))) as? [String: Any]
            let result = ((body?["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first
            return (result?["value"] as? [Any])?.last as? String
        }
        var up: String?
        for _ in 0..<120 where up != "1" {
            try await Task.sleep(for: .milliseconds(250))
            up = try await value(#"up{job="stockpipe-stages"}"#)
        }
        #expect(up == "1", "\((try? String(contentsOfFile: prometheusLog, encoding: .utf8)) ?? "")")
        #expect(try await value(#"stockpipe_stage_since_loop_seconds{stage="validate"}"#) != nil)
        #expect((try String(contentsOfFile: posted, encoding: .utf8)).isEmpty, "nothing fires while the stage is up")

        // The stage's process dies; the alert arrives at the webhook with its summary.
        kill(stage.process.processIdentifier, SIGKILL)
        var lines: [String] = []
        for _ in 0..<240 where lines.isEmpty {
            try await Task.sleep(for: .milliseconds(250))
            lines = try String(contentsOfFile: posted, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        try #require(!lines.isEmpty, "no alert posted: \((try? String(contentsOfFile: managerLog, encoding: .utf8)) ?? "")")
        let message = try #require(try parseJSON(lines[0]) as? [String: Any])
        #expect(message["status"] as? String == "firing")
        let alerts = try #require(message["alerts"] as? [[String: Any]])
        let names = alerts.compactMap { ($0["labels"] as? [String: Any])?["alertname"] as? String }
        #expect(names == ["StockpipeStageDown"], "\(lines[0])")
        let summary = (alerts.first?["annotations"] as? [String: Any])?["summary"] as? String
        #expect(summary == "validate at \(stageTarget) does not answer /metrics: is its process running?")
        #expect((alerts.first?["labels"] as? [String: Any])?["severity"] as? String == "critical")
        #expect(!lines.joined().contains(token))
    }
}
