import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import Yams

/// The deployment files, checked as far as they can be without a Docker engine: Compose by
/// docker-compose and by the Compose Specification's schema, every stockpipe command line in the
/// Compose file, the Dockerfile and the DAG by the real binary's `--check`, shell by shellcheck,
/// Prometheus files by promtool, and the monitoring queries against what `/metrics` really serves.
@Suite("Deployment", .timeLimit(.minutes(5)))
struct DeploymentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let compose = root + "/.build/compose/bin/docker-compose"
    static let composePython = root + "/.build/compose/bin/python"
    static let airflowPython = root + "/.build/airflow/bin/python"
    static let composeFile = root + "/deploy/docker-compose.yml"
    static let fixtures = root + "/Tests/StockpipeTests/Fixtures/deploy"

    /// deploy/.env as the example says to write it: the example, with the dashboard token filled in.
    static func environmentFile(in directory: TemporaryDirectory, token: String? = "deployment-test-token") throws -> String {
        var text = try String(contentsOfFile: root + "/deploy/stockpipe.env.example", encoding: .utf8)
        if let token { text = text.replacingOccurrences(of: "\nSTOCKPIPE_DASHBOARD_TOKEN=\n", with: "\nSTOCKPIPE_DASHBOARD_TOKEN=\(token)\n") }
        let path = directory.file("stack.env")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The stack as docker-compose resolves it: anchors merged, `${...}` filled, paths absolute.
    static func resolvedServices(_ directory: TemporaryDirectory) async throws -> [String: [String: Any]] {
        let result = try await runProgram(compose, ["-f", composeFile, "--env-file", try environmentFile(in: directory), "config"])
        try #require(result.status == 0, "\(result.stderr)")
        let document = try #require(try Yams.load(yaml: result.stdout) as? [String: Any])
        return try #require(document["services"] as? [String: [String: Any]])
    }

    @Test(TestTool.compose.condition)
    func dockerComposeAcceptsTheStackAndItIsReplicatedAndScalable() async throws {
        _ = try TestTool.compose.require()
        let directory = try TemporaryDirectory()
        let services = try await Self.resolvedServices(directory)
        #expect(
            Set(services.keys) == [
                "kafka-1", "kafka-2", "kafka-3", "cassandra", "topics-init", "schema-init", "ingest", "validate",
                "load", "dashboard", "scheduler", "airflow", "prometheus", "alertmanager", "grafana", "kafka-ui",
            ])
        // Three brokers of one KRaft cluster, each a voter, nothing replicated fewer than three times.
        var nodeIDs: Set<String> = []
        for name in ["kafka-1", "kafka-2", "kafka-3"] {
            let environment = try #require(services[name]?["environment"] as? [String: Any])
            nodeIDs.insert("\(environment["KAFKA_NODE_ID"] ?? "")")
            #expect("\(environment["KAFKA_PROCESS_ROLES"] ?? "")" == "broker,controller")
            #expect("\(environment["KAFKA_CONTROLLER_QUORUM_VOTERS"] ?? "")" == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093")
            #expect("\(environment["KAFKA_DEFAULT_REPLICATION_FACTOR"] ?? "")" == "3")
            #expect("\(environment["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] ?? "")" == "3")
            #expect("\(environment["KAFKA_MIN_INSYNC_REPLICAS"] ?? "")" == "2")
            #expect("\(environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] ?? "")" == "false")
        }
        #expect(nodeIDs == ["1", "2", "3"])
        #expect(services["topics-init"]?["command"] as? [String] == ["topics", "create", "--partitions", "6", "--replication-factor", "3"])
        // Scalable stages: no fixed container name and no host port that a second replica would clash on.
        for name in ["validate", "load"] {
            #expect(services[name]?["container_name"] == nil && services[name]?["ports"] == nil, "\(name) cannot be scaled")
        }
        // What is published is published on loopback only.
        for (name, service) in services {
            for port in service["ports"] as? [Any] ?? [] {
                #expect("\(port)".hasPrefix("127.0.0.1:"), "\(name) publishes \(port) beyond loopback")
            }
        }
        #expect(services["airflow"]?["profiles"] as? [String] == ["airflow"])
        #expect(services["prometheus"]?["profiles"] as? [String] == ["monitoring"])
        #expect(services["grafana"]?["profiles"] as? [String] == ["monitoring"])
        #expect(services["alertmanager"]?["profiles"] as? [String] == ["monitoring"])
        #expect(services["kafka-ui"]?["profiles"] as? [String] == ["kafka-ui"])
        let kafkaUI = try #require(services["kafka-ui"]?["environment"] as? [String: Any])
        #expect("\(kafkaUI["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"] ?? "")" == "kafka-1:19092,kafka-2:19092,kafka-3:19092")
        #expect("\(kafkaUI["KAFKA_CLUSTERS_0_READONLY"] ?? "")" == "true")
        // Every stage serves its metrics to Prometheus inside the stack (not published), behind the token.
        for name in ["ingest", "validate", "load"] {
            let environment = try #require(services[name]?["environment"] as? [String: Any])
            #expect("\(environment["STOCKPIPE_METRICS_PORT"] ?? "")" == "9464", "\(name)")
            #expect("\(environment["STOCKPIPE_METRICS_HOST"] ?? "")" == "0.0.0.0", "\(name)")
            #expect("\(environment["STOCKPIPE_DASHBOARD_TOKEN"] ?? "")" == "deployment-test-token", "\(name)")
        }
        // Stages start after the topics and the schema exist.
        let loadDependencies = try #require(services["load"]?["depends_on"] as? [String: [String: Any]])
        #expect(loadDependencies["topics-init"]?["condition"] as? String == "service_completed_successfully")
        #expect(loadDependencies["schema-init"]?["condition"] as? String == "service_completed_successfully")
    }

    @Test(TestTool.compose.condition)
    func theStackDoesNotStartWithoutTheDashboardToken() async throws {
        _ = try TestTool.compose.require()
        let directory = try TemporaryDirectory()
        let result = try await runProgram(
            Self.compose,
            [
                "-f", Self.composeFile, "--env-file", try Self.environmentFile(in: directory, token: nil),
                "config",
            ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("set STOCKPIPE_DASHBOARD_TOKEN in deploy/.env"), "\(result.stderr)")
    }

    @Test(TestTool.compose.condition)
    func theComposeFileMatchesTheComposeSpecificationSchema() async throws {
        _ = try TestTool.compose.require()
        let result = try await runProgram(Self.composePython, [Self.fixtures + "/compose_schema.py", Self.composeFile])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // The same check finds a misspelt key, so it is a check.
        let directory = try TemporaryDirectory()
        let broken = try String(contentsOfFile: Self.composeFile, encoding: .utf8)
            .replacingOccurrences(of: "    command: [\"validate\"]", with: "    comand: [\"validate\"]")
        try broken.write(toFile: directory.file("broken.yml"), atomically: true, encoding: .utf8)
        let rejected = try await runProgram(Self.composePython, [Self.fixtures + "/compose_schema.py", directory.file("broken.yml")])
        #expect(rejected.status == 1)
        #expect(rejected.stdout.contains("services/validate: 'comand' does not match"), "\(rejected.stdout)")
    }

    /// A service's environment as its container sees it: the image's ENV, then the service's, with
    /// paths inside the container mapped back to the repository files mounted there.
    static func containerEnvironment(_ service: [String: Any], image: [String: String]) -> [String: String] {
        var environment = image
        for (key, value) in service["environment"] as? [String: Any] ?? [:] { environment[key] = "\(value)" }
        for volume in service["volumes"] as? [Any] ?? [] {
            let parts = "\(volume)".split(separator: ":").map(String.init)
            guard parts.count >= 2, parts[0].hasPrefix("/") else { continue }
            for (key, value) in environment where value == parts[1] { environment[key] = parts[0] }
        }
        return environment
    }

    static func check(_ arguments: [String], environment: [String: String], what: String) async throws -> String {
        let result = try await runStockpipe(arguments + ["--check"], environment: environment)
        #expect(result.status == 0, "\(what): stockpipe \(arguments.joined(separator: " ")): \(result.stderr)")
        #expect(result.stdout.hasPrefix("ok: "), "\(what): \(result.stdout)")
        return result.stdout
    }

    @Test(TestTool.compose.condition)
    func everyStockpipeCommandLineOfTheStackPassesCheck() async throws {
        _ = try TestTool.compose.require()
        let directory = try TemporaryDirectory()
        let services = try await Self.resolvedServices(directory)
        let image = try Dockerfile.read(Self.root + "/Dockerfile").runtime.environment
        var checked: [String: String] = [:]
        for (name, service) in services.sorted(by: { $0.key < $1.key }) {
            guard let build = service["build"] as? [String: Any], build["context"] as? String == Self.root,
                build["target"] == nil
            else { continue }
            let environment = Self.containerEnvironment(service, image: image)
            let command = try #require(service["command"] as? [String], "\(name) has no command")
            checked[name] = try await Self.check(command, environment: environment, what: name)
            if let test = (service["healthcheck"] as? [String: Any])?["test"] as? [String], test.first == "CMD", test.dropFirst().first == "stockpipe"
            {
                _ = try await Self.check(Array(test.dropFirst(2)), environment: environment, what: "\(name)'s health check")
            }
        }
        #expect(Set(checked.keys) == ["topics-init", "schema-init", "ingest", "validate", "load", "dashboard", "scheduler"])
        // Each stage's container checks that stage's heartbeat.
        for stage in ["ingest", "validate", "load"] {
            let test = (services[stage]?["healthcheck"] as? [String: Any])?["test"] as? [String]
            #expect(test == ["CMD", "stockpipe", "health", "--stage", stage], "\(stage): \(test ?? [])")
        }
        #expect(
            checked["topics-init"]?.contains("on Kafka at kafka-1:19092,kafka-2:19092,kafka-3:19092 with 6 partitions and replication factor 3")
                == true)
        #expect(checked["load"]?.contains("Cassandra at cassandra:9042") == true, "\(checked["load"] ?? "")")
        #expect(checked["ingest"]?.contains("source: simulator") == true, "\(checked["ingest"] ?? "")")
        #expect(checked["dashboard"]?.contains("http://0.0.0.0:8080/ behind a bearer token") == true)
    }

    @Test func theDockerfileBuildsInStagesAndItsCommandsPassCheck() async throws {
        let dockerfile = try Dockerfile.read(Self.root + "/Dockerfile")
        #expect(dockerfile.stages.map(\.name) == ["build", "airflow", "runtime"])
        let runtime = dockerfile.runtime
        #expect(runtime.user != nil && runtime.user != "root" && runtime.user != "0")
        #expect(runtime.instructions.contains { $0.hasPrefix("RUN ") && $0.contains("librdkafka1") && $0.contains("--no-install-recommends") })
        #expect(!runtime.instructions.contains { $0.contains("swift build") }, "the runtime stage builds")
        let entrypoint = try #require(runtime.entrypoint)
        #expect(entrypoint == ["stockpipe"])
        // The default command, as the Dockerfile's comment says to run it: with a dashboard token.
        let command = try #require(runtime.command)
        var environment = runtime.environment
        environment["STOCKPIPE_DASHBOARD_TOKEN"] = "dockerfile-test-token"
        let plan = try await Self.check(command, environment: environment, what: "the image's CMD")
        #expect(plan.contains("the pipeline on the embedded log and store in /var/lib/stockpipe/data"), "\(plan)")
        let withoutToken = try await runStockpipe(command + ["--check"], environment: runtime.environment)
        #expect(withoutToken.status == 2 && withoutToken.stderr.contains("STOCKPIPE_DASHBOARD_TOKEN"))
        let health = try #require(runtime.healthCheck)
        #expect(health.first == "stockpipe")
        _ = try await Self.check(Array(health.dropFirst()), environment: runtime.environment, what: "the image's HEALTHCHECK")
        // The build context is only what the build stage copies.
        let ignored = try String(contentsOfFile: Self.root + "/.dockerignore", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(ignored.first == "*" && Set(ignored.dropFirst()) == ["!Package.swift", "!Sources/", "!Tests/"])
    }

    /// The image links the Swift runtime in (`--static-swift-stdlib`); every other shared library
    /// the binary loads must come from a package the runtime stages install, or one of their
    /// dependencies, or the C library every Debian image has. Debian's own package database says
    /// which package holds each library and what each package depends on.
    @Test func theRuntimeImagesInstallEveryLibraryTheBinaryLoads() async throws {
        let dockerfile = try Dockerfile.read(Self.root + "/Dockerfile")
        let libraries = try await runProgram("/usr/bin/ldd", [stockpipeBinary])
        try #require(libraries.status == 0, "\(libraries.stderr)")
        let systemPaths = libraries.stdout.split(separator: "\n").compactMap { line -> String? in
            let parts = line.components(separatedBy: " => ")
            guard parts.count == 2, let path = parts[1].split(separator: " ").first.map(String.init),
                path.hasPrefix("/lib/") || path.hasPrefix("/usr/lib/")
            else { return nil }
            return path
        }
        #expect(systemPaths.contains { $0.contains("librdkafka") } && systemPaths.contains { $0.contains("libsqlite3") })
        var needed: Set<String> = []
        for path in systemPaths {
            // /lib is /usr/lib on Debian 12, and dpkg knows each file by the name its package gave it.
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            let names = [path, resolved].flatMap { [$0, $0.hasPrefix("/usr/") ? String($0.dropFirst(4)) : "/usr" + $0] }
            var owner: String?
            for name in names where owner == nil {
                let answer = try await runProgram("/usr/bin/dpkg", ["-S", name])
                if answer.status == 0 { owner = answer.stdout.split(separator: ":").first.map(String.init) }
            }
            #expect(owner != nil, "no Debian package holds \(path)")
            if let owner { needed.insert(owner) }
        }
        for stage in dockerfile.stages where stage.name != "build" {
            let named = dockerfile.installedPackages(in: stage)
            #expect(named.contains("librdkafka1"), "\(stage.name)")
            let depends = try await runProgram(
                "/usr/bin/apt-cache",
                [
                    "depends", "--recurse", "--no-recommends", "--no-suggests",
                    "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                ] + named)
            try #require(depends.status == 0, "\(depends.stderr)")
            var present: Set<String> = ["libc6", "libgcc-s1"]
            for line in depends.stdout.split(separator: "\n") {
                let word = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "|", with: "")
                let name = word.hasPrefix("Depends: ") || word.hasPrefix("PreDepends: ") ? String(word.split(separator: " ")[1]) : word
                if !name.contains(" "), !name.contains("<") { present.insert(name.split(separator: ":").first.map(String.init) ?? name) }
            }
            let missing = needed.subtracting(present).sorted()
            #expect(missing.isEmpty, "the \(stage.name) image lacks \(missing), which hold libraries the binary loads")
        }
    }

    @Test(TestTool.compose.condition, TestTool.airflow.condition)
    func theDAGsCommandLinesPassCheckInTheAirflowService() async throws {
        _ = try TestTool.compose.require()
        _ = try TestTool.airflow.require()
        let directory = try TemporaryDirectory()
        let loaded = try await runProgram(
            Self.airflowPython, [Self.fixtures + "/dag_commands.py", Self.root + "/airflow/dags/stockpipe_pipeline.py"],
            environment: ["AIRFLOW_HOME": directory.file("airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"])
        #expect(loaded.status == 0, "\(loaded.stderr.suffix(2_000))")
        let commands = try #require(try parseJSON(loaded.stdout.split(separator: "\n").last.map(String.init) ?? "") as? [String: String])
        #expect(Set(commands.keys) == ["ingest", "validate", "load", "quality_report"])
        let services = try await Self.resolvedServices(directory)
        let airflow = try #require(services["airflow"])
        let environment = Self.containerEnvironment(airflow, image: [:])
        for (task, line) in commands.sorted(by: { $0.key < $1.key }) {
            let words = line.split(separator: " ").map(String.init)
            #expect(words.first == "stockpipe", "\(task): \(line)")
            _ = try await Self.check(Array(words.dropFirst()), environment: environment, what: "DAG task \(task)")
        }
    }

    @Test(TestTool.shellcheck.condition)
    func everyShellScriptPassesShellcheck() async throws {
        _ = try TestTool.shellcheck.require()
        var scripts: [String] = []
        let skipped: Set<String> = [".build", ".git", ".swiftpm"]
        let enumerator = try #require(FileManager.default.enumerator(atPath: Self.root))
        while let path = enumerator.nextObject() as? String {
            if skipped.contains(path.split(separator: "/").first.map(String.init) ?? "") { enumerator.skipDescendants(); continue }
            let full = Self.root + "/" + path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let firstLine = (try? String(contentsOfFile: full, encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? ""
            let interpreter =
                firstLine.hasPrefix("#!") ? firstLine.split(separator: " ").last.map { String($0.split(separator: "/").last ?? "") } : nil
            if path.hasSuffix(".sh") || ["sh", "bash", "dash"].contains(interpreter ?? "") { scripts.append(full) }
        }
        #expect(scripts.contains(Self.root + "/.ci/run"))
        #expect(scripts.count >= 4, "\(scripts)")
        // The shell inside the Compose file too: its health checks and the Prometheus entrypoint.
        let directory = try TemporaryDirectory()
        let compose = try #require(try Yams.load(yaml: String(contentsOfFile: Self.composeFile, encoding: .utf8)) as? [String: Any])
        var inline: [String] = []
        for (name, service) in (compose["services"] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let test = ((service["healthcheck"] as? [String: Any])?["test"] as? [String]) ?? []
            if test.first == "CMD-SHELL", test.count == 2 { inline.append("\(name)-healthcheck|\(test[1])") }
            if service["entrypoint"] as? [String] == ["/bin/sh", "-c"], let command = (service["command"] as? [String])?.first {
                inline.append("\(name)-entrypoint|\(command)")
            }
        }
        #expect(inline.count >= 5, "\(inline)")
        for item in inline {
            let parts = item.split(separator: "|", maxSplits: 1).map(String.init)
            // Compose writes a literal $ as $$.
            let text = "#!/bin/sh\n" + parts[1].replacingOccurrences(of: "$$", with: "$") + "\n"
            scripts.append(try directory.write("\(parts[0]).sh", lines: [text]))
        }
        let result = try await runProgram("/usr/bin/shellcheck", ["--external-sources"] + scripts)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test(TestTool.promtool.condition)
    func thePrometheusConfigurationAndAlertRulesPassPromtool() async throws {
        _ = try TestTool.promtool.require()
        let config = try await runProgram("/usr/bin/promtool", ["check", "config", "--syntax-only", Self.root + "/deploy/prometheus/prometheus.yml"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        let rules = try await runProgram("/usr/bin/promtool", ["check", "rules", Self.root + "/deploy/prometheus/alerts.yml"])
        #expect(rules.status == 0, "\(rules.stdout)\(rules.stderr)")
        #expect(rules.stdout.contains("SUCCESS: 9 rules found"), "\(rules.stdout)")
    }

    /// Every alert rule has unit tests that promtool runs: one where it fires, with its labels and
    /// its summary as the operator reads it, and one where it stays silent.
    @Test(TestTool.promtool.condition)
    func everyAlertFiresWhenItShouldAndStaysSilentOtherwise() async throws {
        let promtool = try TestTool.promtool.require()
        let tests = Self.root + "/deploy/prometheus/alerts.test.yml"
        let result = try await runProgram(promtool, ["test", "rules", tests])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("SUCCESS"), "\(result.stdout)")

        let rules = try #require(
            try Yams.load(yaml: String(contentsOfFile: Self.root + "/deploy/prometheus/alerts.yml", encoding: .utf8)) as? [String: Any])
        let names = ((rules["groups"] as? [[String: Any]]) ?? []).flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
            .compactMap { $0["alert"] as? String }
        #expect(names.count == 9)
        let document = try #require(try Yams.load(yaml: String(contentsOfFile: tests, encoding: .utf8)) as? [String: Any])
        let cases = ((document["tests"] as? [[String: Any]]) ?? []).flatMap { ($0["alert_rule_test"] as? [[String: Any]]) ?? [] }
        for name in names {
            let mine = cases.filter { $0["alertname"] as? String == name }
            let fired = mine.filter { !(($0["exp_alerts"] as? [Any]) ?? []).isEmpty }
            #expect(!fired.isEmpty, "\(name) is never tested firing")
            #expect(mine.count > fired.count, "\(name) is never tested silent")
            for expected in fired.flatMap({ ($0["exp_alerts"] as? [[String: Any]]) ?? [] }) {
                #expect((expected["exp_annotations"] as? [String: Any])?["summary"] != nil, "\(name) is tested without its summary")
            }
        }
    }

    /// Every `stockpipe_*` name in a text: the metrics a query or a rule reads.
    static func metricNames(in text: String) -> Set<String> {
        Set(text.matches(of: /stockpipe_[a-z_]+/).map { String($0.output) })
    }

    @Test func everyMetricTheDashboardsAndAlertsQueryIsServed() async throws {
        let grafana = try String(contentsOfFile: Self.root + "/deploy/grafana/dashboards/stockpipe.json", encoding: .utf8)
        let dashboard = try #require(try parseJSON(grafana) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count == panels.count)
        // Every panel reads the provisioned data source.
        let datasources = try String(contentsOfFile: Self.root + "/deploy/grafana/provisioning/datasources/prometheus.yml", encoding: .utf8)
        for panel in panels {
            let uid = (panel["datasource"] as? [String: Any])?["uid"] as? String ?? ""
            #expect(datasources.contains("uid: \(uid)"), "\(panel["title"] ?? "") reads data source \(uid)")
        }
        let alerts = try String(contentsOfFile: Self.root + "/deploy/prometheus/alerts.yml", encoding: .utf8)
        let queried = Self.metricNames(in: expressions.joined(separator: "\n")).union(Self.metricNames(in: alerts))
        #expect(queried.count >= 7, "\(queried)")

        // What a dashboard over a real store serves, with a quality report made.
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let run = try await runStockpipe(["run", "--drain", "--limit", "2000", "--no-dashboard", "--data-dir", data])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try await runStockpipe(["quality-report", "--data-dir", data])
        #expect(report.status == 0 || report.status == 3, "\(report.stderr)")
        let server = try await RunningDashboard.start(["serve", "--port", "0", "--data-dir", data])
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server.url + "metrics"), timeout: .seconds(20))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        _ = await server.stop()
        #expect(response.status == .ok)
        // And what a stage process serves on its metrics port.
        let load = try await RunningStage.start(["load", "--data-dir", data])
        let (status, stageBody) = try await load.get("metrics")
        _ = await load.stop()
        #expect(status == 200)
        let served = Self.metricNames(in: body).union(Self.metricNames(in: stageBody))
        #expect(queried.subtracting(served).isEmpty, "queried but not served: \(queried.subtracting(served).sorted())")
    }
}
