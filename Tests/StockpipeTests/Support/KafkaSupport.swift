import Foundation
import StockpipeApp
import StockpipeCore
import StockpipeKafka
import StockpipePipeline
import Testing

/// librdkafka's mock cluster, 3 brokers, with the pipeline's topics at replication factor 3,
/// started in the test process and reached over loopback TCP (other processes too).
final class TestKafka {
    let cluster: KafkaMockCluster
    let partitions: Int32

    init(partitions: Int32 = 6) throws {
        cluster = try KafkaMockCluster(brokers: 3)
        self.partitions = partitions
        for spec in TopicSpec.pipeline(partitions: partitions) {
            try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: Int32(spec.replicationFactor))
        }
    }

    deinit { cluster.close() }

    var brokers: String { cluster.bootstrapServers }

    /// The mock stalls group joins unless sessions are short.
    static let properties = ["session.timeout.ms": "6000"]

    /// The command-line flags that put a stockpipe process on this cluster.
    var flags: [String] { ["--brokers", brokers, "--kafka-property", "session.timeout.ms=6000"] }

    func settings(_ base: Settings) -> Settings {
        var settings = base
        settings.log = .kafka
        settings.kafka.brokers = brokers
        settings.kafka.properties = Self.properties
        return settings
    }
}

/// `kcat`, the independent Kafka client from Debian, when it is installed.
var kcatPath: String? {
    ["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs kcat with `arguments` (and `input` on stdin); returns its standard output.
func kcat(_ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: kcatPath ?? "/usr/bin/kcat")
    process.arguments = arguments
    let output = NSTemporaryDirectory() + "kcat-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: output) }
    process.standardOutput = FileHandle(forWritingAtPath: output)
    process.standardError = FileHandle.nullDevice
    if let input {
        let inputPath = output + ".in"
        try input.write(toFile: inputPath, atomically: true, encoding: .utf8)
        process.standardInput = FileHandle(forReadingAtPath: inputPath)
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try KafkaMockCluster.startingProcess { try process.run() }
    await process.exited()
    return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
}

/// What an independent `read_committed` consumer (kcat) finds on the pipeline's topics: each
/// record's `source` header, by topic.
struct CommittedTopics {
    var staging: [String]
    var stockData: [String]
    var badStockData: [String]

    static func read(_ kafka: TestKafka) async throws -> CommittedTopics {
        _ = try TestTool.kcat.require()
        func sources(_ topic: String) async throws -> [String] {
            let read = try await kcat([
                "-C", "-b", kafka.brokers, "-t", topic, "-e", "-q", "-X", "isolation.level=read_committed", "-f", "%h\n",
            ])
            guard read.status == 0 else { throw TestToolMissing(description: "kcat could not read \(topic)") }
            // Headers print as `name=value,...`; a source never holds a comma.
            return read.output.split(separator: "\n").map { line in
                line.split(separator: ",").first { $0.hasPrefix("source=") }.map { String($0.dropFirst(7)) } ?? ""
            }
        }
        return CommittedTopics(
            staging: try await sources(Topic.staging), stockData: try await sources(Topic.stockData),
            badStockData: try await sources(Topic.badStockData))
    }

    /// Each of `staged` records is on `staging` once, and once on exactly one of the outputs.
    func expectExactlyOnce(staged: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let outputs = stockData + badStockData
        #expect(staging.count == staged, "staging holds \(staging.count) records", sourceLocation: sourceLocation)
        #expect(Set(staging).count == staging.count, "staging holds records twice", sourceLocation: sourceLocation)
        #expect(outputs.count == staged, "the outputs hold \(outputs.count) records", sourceLocation: sourceLocation)
        #expect(
            Set(outputs).count == outputs.count,
            "\(outputs.count - Set(outputs).count) records published twice", sourceLocation: sourceLocation)
        #expect(Set(outputs) == Set(staging), sourceLocation: sourceLocation)
    }
}
