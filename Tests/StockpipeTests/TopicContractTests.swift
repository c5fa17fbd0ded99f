import AsyncHTTPClient
import Foundation
import StockpipeCore
import StockpipeSources
import Testing

/// The topics' published contracts: after a replay with every kind of defect through Kafka, an
/// independent client (kcat) reads every record of the three topics and an independent validator
/// (Python's `jsonschema`, Draft 2020-12) checks each against its topic's schema and headers.
@Suite("Topic contracts", .serialized, .timeLimit(.minutes(4)))
struct TopicContractTests {
    static let schemas = DeploymentTests.root + "/Sources/StockpipeCore/Assets"
    static let validator = DeploymentTests.root + "/Tests/StockpipeTests/Fixtures/validate_topics.py"

    /// A simulated day with 30 % defects, and what the simulator does not make: text that is not JSON,
    /// REST quotes (sound, inconsistent, without data, not JSON), a message too large for the log.
    static func replayWithEveryDefect(_ directory: TemporaryDirectory) async throws -> String {
        let file = directory.file("every-defect.ndjson")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "3000", "--bad-fraction", "0.3", "--seed", "11"])
        try #require(simulate.status == 0, "\(simulate.stderr)")
        let seconds = WallClock.milliseconds() / 1_000
        let quote = { (data: String) in #"{"type":"quote","symbol":"AAPL","data":\#(data)}"# }
        let extra = [
            "this is not JSON",
            #"{"type":"trade","data":"not an array"}"#,
            quote(#"{"c":187.5,"d":1.2,"dp":0.64,"h":188.1,"l":186.2,"o":186.5,"pc":186.3,"t":\#(seconds)}"#),
            quote(#"{"c":187.5,"d":1.2,"dp":0.64,"h":180.0,"l":186.2,"o":186.5,"pc":186.3,"t":\#(seconds)}"#),
            quote(#"{"c":0,"d":null,"dp":null,"h":0,"l":0,"o":0,"pc":0,"t":0}"#),
            #"{"type":"quote","symbol":"MSFT","text":"You don't have access to this resource."}"#,
            #"{"type":"ping"}"#,
            #"{"type":"trade","data":[{"s":"NOTLISTED","p":12.5,"t":\#(seconds * 1_000),"v":3,"c":null}]}"#,
            #"{"type":"trade","data":[{"s":"AAPL","p":187.5,"t":\#(seconds * 1_000),"v":10,"c":["1"],"x":"\#(String(repeating: "y", count: 2_000_000))"}]}"#,
        ]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        handle.seekToEndOfFile()
        handle.write(Data((extra.joined(separator: "\n") + "\n").utf8))
        try handle.close()
        return file
    }

    @Test(TestTool.kcat.condition, TestTool.python.condition)
    func everyRecordOnEveryTopicMatchesItsPublishedSchema() async throws {
        _ = try TestTool.kcat.require()
        let directory = try TemporaryDirectory()
        let file = try await Self.replayWithEveryDefect(directory)
        let kafka = try TestKafka()
        let report = try await drain(
            kafka.settings(replaySettings(file: file, dataDirectory: directory.file("data"), symbols: Simulator.defaultSymbols)))
        #expect(report.balanced, "\(report.json())")

        var paths: [String] = []
        var counts: [String: Int] = [:]
        for topic in Topic.all {
            let (status, output) = try await kcat([
                "-b", kafka.brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-X", "isolation.level=read_committed",
            ])
            #expect(status == 0)
            let path = directory.file("\(topic).ndjson")
            try output.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
            counts[topic] = output.split(separator: "\n").count
        }
        #expect(counts[Topic.staging].map(Int64.init) == report.staged)
        #expect(counts[Topic.stockData]! + counts[Topic.badStockData]! == counts[Topic.staging]!)

        let result = try await runProgram(try TestTool.python.require(), [Self.validator, Self.schemas] + paths)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let summary = try #require(try parseJSON(result.stdout) as? [String: Any], "\(result.stdout)\(result.stderr)")
        #expect(summary["controlsRejected"] as? Int == 3)
        let staging = try #require(summary["staging"] as? [String: Any])
        let kinds = try #require(staging["kinds"] as? [String: Int])
        #expect(Set(kinds.keys) == ["trade", "quote", "raw"], "\(kinds)")
        let bad = try #require(summary["bad_stock_data"] as? [String: Any])
        let reasons = Set(try #require(bad["reasons"] as? [String: Int]).keys)
        let expected: Set<String> = [
            "malformed", "missing_field", "null_field", "wrong_type", "non_finite", "non_positive_price", "negative_volume",
            "invalid_symbol", "symbol_not_allowed", "timestamp_in_future", "timestamp_too_old", "price_jump",
            "quote_inconsistent", "no_data", "out_of_range",
        ]
        // (`duplicate` is found by load, in the store, and `store_rejected` by the store: neither is on a topic.)
        #expect(expected.subtracting(reasons).isEmpty, "not seen: \(expected.subtracting(reasons).sorted())")
        let stockData = try #require(summary["stock_data"] as? [String: Any])
        #expect((stockData["kinds"] as? [String: Int])?["quote"] == 1)
    }

    /// The schemas the API serves are the repository's files, and each names the version records carry.
    @Test func theAPIServesTheSchemasOfTheRepository() async throws {
        try await withServedDashboard({ _ in }) { port, _ in
            for topic in Topic.all {
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/schemas/\(topic)"), timeout: .seconds(20))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "Content-Type") == "application/schema+json")
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                let file = try String(contentsOfFile: Self.schemas + "/\(topic).schema.json", encoding: .utf8)
                #expect(body == file)
                let document = try #require(try parseJSON(body) as? [String: Any])
                #expect(document["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
                #expect(document["$id"] as? String == "urn:stockpipe:schema:\(topic):\(RecordSchema.major)")
                #expect((document["title"] as? String)?.hasSuffix("schema \(RecordSchema.major).\(RecordSchema.minor)") == true)
            }
            let missing = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/schemas/trades"), timeout: .seconds(20))
            #expect(missing.status == .notFound)
            let message = String(buffer: try await missing.body.collect(upTo: 1 << 16))
            #expect(message.contains("staging, stock_data, bad_stock_data"), "\(message)")
        }
    }
}
