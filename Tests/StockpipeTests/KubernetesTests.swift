import Foundation
import Testing
import Yams

/// deploy/kubernetes, offline: both overlays render with kubectl's Kustomize and pass
/// kubernetes-validate, KEDA's schemas and checkov (scripts/check-kubernetes.sh); a manifest that
/// breaks a rule fails that check; and every stockpipe command line the manifests run, probes and
/// init containers included, passes `--check` with the settings and environment it would get.
@Suite("Kubernetes manifests", .timeLimit(.minutes(5)))
struct KubernetesTests {
    static let root = TestTool.root

    static func checkTools() throws -> [String: String] {
        let bin = root + "/.build/kubernetes/bin/"
        _ = try TestTool.kubernetesChecks.require()
        return [
            "KUBECTL": try TestTool.kubectl.require(), "KUBERNETES_VALIDATE": bin + "kubernetes-validate", "CHECKOV": bin + "checkov",
        ]
    }

    /// The resources `overlay` renders to.
    static func rendered(_ overlay: String) async throws -> [[String: Any]] {
        let result = try await runProgram(try TestTool.kubectl.require(), ["kustomize", root + "/deploy/kubernetes/overlays/" + overlay])
        try #require(result.status == 0, "\(overlay): \(result.stderr)")
        #expect(result.stderr.isEmpty, "\(overlay): kubectl kustomize warned: \(result.stderr)")
        return try Yams.load_all(yaml: result.stdout).compactMap { $0 as? [String: Any] }
    }

    @Test(TestTool.kubectl.condition, TestTool.kubernetesChecks.condition)
    func bothOverlaysPassKubernetesValidateKEDAsSchemasAndCheckov() async throws {
        let result = try await runProgram("/bin/bash", [Self.root + "/scripts/check-kubernetes.sh"], environment: try Self.checkTools())
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let output = result.stdout
        #expect(output.contains("== deploy/kubernetes/overlays/local") && output.contains("== deploy/kubernetes/overlays/production"))
        #expect(output.contains("keda: 3 passed"), "the production overlay's two ScaledObjects and TriggerAuthentication: \(output)")
        #expect(output.components(separatedBy: "Failed checks: 0,").count == 3, "\(output)")
        #expect(output.contains("kubernetes-validate 1.37.0:") && output.contains("kubernetes-validate 1.33.0:"))
        #expect(output.contains("check-kubernetes: every overlay renders"), "\(output)")
    }

    /// The check is not a formality: each kind of mistake in a copy of deploy/kubernetes fails it.
    @Test(TestTool.kubectl.condition, TestTool.kubernetesChecks.condition)
    func aManifestThatBreaksARuleFailsTheCheck() async throws {
        let directory = try TemporaryDirectory()
        let copy = directory.file("kubernetes")
        try FileManager.default.copyItem(atPath: Self.root + "/deploy/kubernetes", toPath: copy)
        func edit(_ file: String, _ old: String, _ new: String) throws {
            let path = copy + "/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let range = try #require(text.range(of: old), "\(old) is not in \(file)")
            try text.replacingCharacters(in: range, with: new).write(toFile: path, atomically: true, encoding: .utf8)
        }
        // A writable root filesystem (checkov), a misspelt field of a Deployment (Kubernetes'
        // schemas), and of a ScaledObject (KEDA's).
        try edit("base/validate.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
        try edit("base/load.yaml", "terminationGracePeriodSeconds:", "terminationGracePeriod:")
        try edit("components/autoscaling/scaledobjects.yaml", "lagThreshold:", "lagTreshold:")
        var environment = try Self.checkTools()
        environment["KUBERNETES_DIR"] = copy
        let result = try await runProgram("/bin/bash", [Self.root + "/scripts/check-kubernetes.sh"], environment: environment)
        #expect(result.status != 0)
        for failure in ["local: checkov", "production: checkov", "local: kubernetes-validate 1.37.0", "production: KEDA resources"] {
            #expect(result.stderr.contains("FAILED: \(failure)"), "\(failure): \(result.stderr)")
        }
        #expect(result.stdout.contains("CKV_K8S_22"), "checkov names the read-only root filesystem check")
        #expect(result.stdout.contains("terminationGracePeriod"), "\(result.stdout)")
        #expect(result.stdout.contains("lagTreshold"), "\(result.stdout)")
    }

    /// The pod spec of a workload, or nil for other resources.
    static func podSpec(_ resource: [String: Any]) -> [String: Any]? {
        guard ["Deployment", "Job", "StatefulSet"].contains(resource["kind"] as? String ?? "") else { return nil }
        return ((resource["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
    }

    static func name(_ resource: [String: Any]) -> String {
        (resource["metadata"] as? [String: Any])?["name"] as? String ?? "?"
    }

    @Test(TestTool.kubectl.condition, TestTool.socat.condition, arguments: ["local", "production"])
    func everyStockpipeCommandLineOfAnOverlayPassesCheck(overlay: String) async throws {
        let resources = try await Self.rendered(overlay)
        let directory = try TemporaryDirectory()
        // The settings file of the ConfigMap, with the files it names (mounted from Secrets) made here.
        let configMap = try #require(resources.first { $0["kind"] as? String == "ConfigMap" && Self.name($0).hasPrefix("stockpipe-config") })
        var settings = try #require((configMap["data"] as? [String: Any])?["stockpipe.yaml"] as? String)
        _ = try TestTool.socat.require()  // and openssl
        let certificate = try await runProgram(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=cassandra", "-days", "1", "-keyout", directory.file("ca.key"),
                "-out", directory.file("ca.crt"),
            ])
        try #require(certificate.status == 0, "\(certificate.stderr)")
        try """
        security.protocol=SASL_SSL
        sasl.mechanism=PLAIN
        sasl.username=stockpipe
        sasl.password=kubernetes-check-secret
        ssl.ca.location=\(directory.file("ca.crt"))

        """.write(toFile: directory.file("client.properties"), atomically: true, encoding: .utf8)
        settings = settings.replacingOccurrences(of: "/etc/stockpipe/kafka/client.properties", with: directory.file("client.properties"))
            .replacingOccurrences(of: "/etc/stockpipe/cassandra/ca.crt", with: directory.file("ca.crt"))
        try settings.write(toFile: directory.file("stockpipe.yaml"), atomically: true, encoding: .utf8)
        let image = try Dockerfile.read(Self.root + "/Dockerfile").runtime.environment

        var checked: [String: String] = [:]
        var probes: [String: [String]] = [:]
        for resource in resources {
            guard let spec = Self.podSpec(resource) else { continue }
            let workload = Self.name(resource)
            let containers = (spec["initContainers"] as? [[String: Any]] ?? []) + (spec["containers"] as? [[String: Any]] ?? [])
            for container in containers where (container["image"] as? String ?? "").contains("stockpipe") {
                var environment = image
                for variable in container["env"] as? [[String: Any]] ?? [] {
                    let name = try #require(variable["name"] as? String)
                    // A Secret's value: what matters is that one is there.
                    environment[name] = variable["value"].map { "\($0)" } ?? "kubernetes-check-secret"
                }
                #expect(environment["STOCKPIPE_CONFIG"] == "/etc/stockpipe/stockpipe.yaml", "\(workload)")
                environment["STOCKPIPE_CONFIG"] = directory.file("stockpipe.yaml")
                let what = "\(overlay) \(workload)/\(container["name"] ?? "?")"
                if let command = container["command"] as? [String] {
                    // An init container's shell loop: the stockpipe command in it.
                    #expect(command == ["/bin/sh", "-c"], "\(what)")
                    let script = (container["args"] as? [String])?.joined() ?? ""
                    // It waits for the topics, then for the tables (status opens both backends).
                    #expect(script.contains("stockpipe topics describe") && script.contains("stockpipe status"), "\(what): \(script)")
                    #expect(script.hasPrefix("trap 'exit 143' TERM"), "\(what): a pod deleted while waiting stops at once")
                    _ = try await DeploymentTests.check(["topics", "describe"], environment: environment, what: what)
                    _ = try await DeploymentTests.check(["status"], environment: environment, what: what)
                } else {
                    let arguments = try #require(container["args"] as? [String], "\(what) runs no command")
                    checked[workload] = try await DeploymentTests.check(arguments, environment: environment, what: what)
                }
                for kind in ["startupProbe", "readinessProbe", "livenessProbe"] {
                    guard let probe = (container[kind] as? [String: Any])?["exec"] as? [String: Any] else { continue }
                    let command = try #require(probe["command"] as? [String])
                    #expect(command.first == "stockpipe", "\(what) \(kind): \(command)")
                    probes["\(workload) \(kind)"] = command
                    _ = try await DeploymentTests.check(Array(command.dropFirst()), environment: environment, what: "\(what) \(kind)")
                }
            }
        }
        #expect(Set(checked.keys) == ["topics-init", "schema-init", "ingest", "validate", "load", "dashboard", "scheduler"])
        for stage in ["ingest", "validate", "load"] {
            // load's may allow a longer wait (for a Cassandra outage) with --max-age.
            #expect(probes["\(stage) livenessProbe"]?.prefix(4) == ["stockpipe", "health", "--stage", stage])
            #expect(probes["\(stage) startupProbe"] == ["stockpipe", "health", "--stage", stage])
        }
        #expect(probes["dashboard readinessProbe"]?.prefix(2) == ["stockpipe", "health"])
        // load outlives a Cassandra outage: its liveness allows 10 minutes without a beat.
        #expect(probes["load livenessProbe"]?.suffix(2) == ["--max-age", "600"])

        // The lease holders: one active ingest and scheduler; production adds a standby of each.
        func replicas(_ name: String) -> Int? {
            let deployment = resources.first { $0["kind"] as? String == "Deployment" && Self.name($0) == name }
            return (deployment?["spec"] as? [String: Any])?["replicas"] as? Int
        }
        let scaledObjects = resources.filter { $0["kind"] as? String == "ScaledObject" }
        if overlay == "local" {
            #expect(checked["topics-init"]?.contains("6 partitions and replication factor 1") == true, "\(checked["topics-init"] ?? "")")
            #expect(replicas("ingest") == 1 && replicas("scheduler") == 1)
            #expect(scaledObjects.isEmpty, "the local overlay runs without KEDA")
        } else {
            #expect(checked["topics-init"]?.contains("6 partitions and replication factor 3") == true, "\(checked["topics-init"] ?? "")")
            #expect(checked["load"]?.contains("Cassandra at cassandra-1.example.com:9042") == true, "\(checked["load"] ?? "")")
            // Never the simulator in production: without the Finnhub key ingest does not start.
            #expect(checked["ingest"]?.contains("source: Finnhub trade stream") == true, "\(checked["ingest"] ?? "")")
            #expect(replicas("ingest") == 2 && replicas("scheduler") == 2)
            // KEDA owns the replicas of validate and load, up to the partitions.
            #expect(replicas("validate") == nil && replicas("load") == nil)
            #expect(Set(scaledObjects.map(Self.name)) == ["validate", "load"])
            for object in scaledObjects {
                let spec = try #require(object["spec"] as? [String: Any])
                #expect(spec["maxReplicaCount"] as? Int == 6)
                let groups = (spec["triggers"] as? [[String: Any]] ?? []).compactMap {
                    ($0["metadata"] as? [String: Any])?["consumerGroup"] as? String
                }
                #expect(groups == (Self.name(object) == "validate" ? ["validate"] : ["load", "load-quarantine"]))
            }
        }
    }
}
