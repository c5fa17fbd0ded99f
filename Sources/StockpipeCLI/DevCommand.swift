import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StockpipeKafka
import StockpipeModel
import StockpipePipeline

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Local stand-ins for external services, for demos and development.",
        subcommands: [Kafka.self])

    struct Kafka: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run librdkafka's mock Kafka cluster (in memory, a few MiB per partition) with the pipeline's topics, "
                + "until interrupted; prints the --brokers value to use.")

        @Option(help: ArgumentHelp("Brokers in the cluster.", valueName: "N")) var brokers: Int32 = 3
        @Option(help: ArgumentHelp("Partitions per topic.", valueName: "N")) var partitions: Int32 = 6

        func run() async throws {
            guard (1...10).contains(brokers) else { throw UserError("--brokers must be between 1 and 10") }
            guard (1...64).contains(partitions) else { throw UserError("--partitions must be between 1 and 64") }
            let cluster = try KafkaMockCluster(brokers: brokers)
            for spec in TopicSpec.pipeline(partitions: partitions, replicationFactor: Int16(min(3, brokers))) {
                try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: Int32(spec.replicationFactor))
            }
            FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
            FileHandle.standardError.write(Data("stockpipe: mock Kafka cluster of \(brokers) brokers at \(cluster.bootstrapServers) with topics \(Topic.all.joined(separator: ", ")); Ctrl-C stops it\n".utf8))
            await waitForTerminationSignal()
            cluster.close()
        }
    }
}

/// Returns on SIGINT or SIGTERM.
func waitForTerminationSignal() async {
    struct UntilSignalled: Service {
        func run() async throws { try? await gracefulShutdown() }
    }
    let group = ServiceGroup(configuration: .init(
        services: [.init(service: UntilSignalled())], gracefulShutdownSignals: [.sigterm, .sigint],
        logger: Logger(label: "stockpipe.dev")))
    try? await group.run()
}
