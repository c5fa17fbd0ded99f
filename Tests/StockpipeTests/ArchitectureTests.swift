import Foundation
import Testing

/// The module graph keeps to docs/architecture.md: `scripts/check-architecture.py` reads
/// Package.swift and fails when the pipeline or the dashboard reaches a backend, or a backend
/// another backend.
@Suite("Architecture", .timeLimit(.minutes(3)))
struct ArchitectureTests {
    static let root = DeploymentTests.root
    static let script = root + "/scripts/check-architecture.py"

    @Test func theModuleGraphKeepsBackendsOutOfThePipelineAndTheDashboard() async throws {
        let result = try await runProgram("/usr/bin/python3", [Self.script])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("keep to their dependencies"), "\(result.stdout)")
    }

    /// The check catches what it is for: the same manifest with the pipeline depending on Kafka,
    /// and with the SQLite backend depending on the Cassandra one.
    @Test func theCheckFailsWhenAModuleReachesABackend() async throws {
        let manifest = try String(contentsOfFile: Self.root + "/Package.swift", encoding: .utf8)
        let directory = try TemporaryDirectory()
        let cases: [(from: String, to: String, complaint: String)] = [
            (
                #""StockpipeJSON", "StockpipeCore", "StockpipeSchedule","#,
                #""StockpipeJSON", "StockpipeCore", "StockpipeSchedule", "StockpipeKafka","#,
                "StockpipeDashboard depends on StockpipeKafka (through StockpipePipeline)"
            ),
            (
                #""StockpipeCore", "StockpipeJSON",\#n                .product(name: "GRDB""#,
                #""StockpipeCore", "StockpipeJSON", "StockpipeCassandra",\#n                .product(name: "GRDB""#,
                "the backend StockpipeSQLite depends on StockpipeCQL, StockpipeCassandra"
            ),
        ]
        for (index, change) in cases.enumerated() {
            #expect(manifest.contains(change.from), "the manifest changed shape; update this test: \(change.from)")
            let path = try directory.write("Package\(index).swift", lines: [manifest.replacingOccurrences(of: change.from, with: change.to)])
            let result = try await runProgram("/usr/bin/python3", [Self.script, path])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains(change.complaint), "\(result.stderr)")
        }
    }

    /// The sources follow the repository's format (`.swift-format`: 4 spaces, lines up to 150);
    /// `swift format format -i -r Sources Tests Package.swift` fixes what this finds.
    @Test func theSourcesPassSwiftFormatLint() async throws {
        let result = try await runProgram(
            "/usr/bin/env", ["swift", "format", "lint", "--strict", "--recursive", "Sources", "Tests", "Package.swift"],
            in: Self.root, timeout: .seconds(100))
        #expect(result.status == 0, "\(result.stderr.prefix(4_000))")
        #expect(result.stderr.isEmpty, "\(result.stderr.prefix(4_000))")
    }
}
