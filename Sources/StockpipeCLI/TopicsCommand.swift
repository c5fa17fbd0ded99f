import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StockpipeApp
import StockpipeCore
import StockpipeKafka
import StockpipePipeline

struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Create and inspect the Kafka topics.", subcommands: [Create.self, Describe.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create staging, stock_data and bad_stock_data (replication factor 3, min.insync.replicas 2, "
                + "retention 3 days, 30 for bad_stock_data); topics that exist are left alone.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Partitions per topic: the most consumers one group can spread over.", valueName: "N"))
        var partitions: Int32 = 6
        @Option(name: .customLong("replication-factor"), help: ArgumentHelp("Copies of every record.", valueName: "N"))
        var replicationFactor: Int16 = 3

        func run() async throws {
            let settings = try common.kafkaSettings()
            guard partitions >= 1 else { throw UserError("--partitions must be at least 1") }
            guard replicationFactor >= 1 else { throw UserError("--replication-factor must be at least 1") }
            try common.checkpoint(
                "create the topics on Kafka at \(settings.kafka.brokers ?? "") with \(partitions) partitions "
                    + "and replication factor \(replicationFactor)")
            let results: [(String, KafkaAdmin.Outcome)]
            do {
                results = try await KafkaAdmin.createTopics(
                    TopicSpec.pipeline(partitions: partitions, replicationFactor: replicationFactor),
                    configuration: settings.kafka.configuration)
            } catch let error as KafkaError {
                throw UserError(ErrorText.sentence(forKafka: error))
            }
            for (name, outcome) in results {
                print("\(name): \(outcome == .created ? "created" : "exists already, left as it is")")
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Partitions, leaders and in-sync replicas of the topics, and the lag of each consumer group.")

        @OptionGroup var common: CommonOptions
        @Flag(help: "One JSON document on stdout.") var json = false

        func run() async throws {
            let settings = try common.kafkaSettings()
            try common.checkpoint("describe the topics on Kafka at \(settings.kafka.brokers ?? "")")
            let log: KafkaLog
            do {
                log = try await KafkaLog(settings.kafka.configuration, knownSources: [settings.sourceName])
            } catch let error as KafkaError where error.isUsersToFix {
                throw UserError(ErrorText.sentence(forKafka: error))
            } catch {
                throw UserError("\(error)")
            }
            let metadata = try await log.describe()
            let status = try await log.status()
            try await log.close()
            if json { try printJSON(Document(metadata, status)) } else { print(Self.text(metadata, status), terminator: "") }
        }

        static func text(_ metadata: KafkaMetadata, _ status: LogStatus) -> String {
            var lines = ["brokers  " + metadata.brokers.sorted { $0.id < $1.id }.map { "\($0.id)=\($0.host):\($0.port)" }.joined(separator: " "), ""]
            for name in Topic.all {
                guard let topic = metadata.topic(name) else {
                    lines.append("\(name): missing (stockpipe topics create)")
                    continue
                }
                lines.append("\(name): \(topic.partitions.count) partitions")
                lines.append("  partition  leader  replicas  in-sync")
                for partition in topic.partitions {
                    let replicas = partition.replicas.map(String.init).joined(separator: ",")
                    let inSync = partition.inSyncReplicas.map(String.init).joined(separator: ",")
                    let warning = partition.inSyncReplicas.count < partition.replicas.count ? "  under-replicated" : ""
                    lines.append(
                        "  " + pad(partition.id, 9) + "  " + pad(partition.leader, 6) + "  "
                            + replicas.padding(toLength: 8, withPad: " ", startingAt: 0)
                            + "  " + inSync + warning)
                }
            }
            lines.append("")
            lines.append("group     topic           committed        lag")
            for group in status.groups {
                lines.append(
                    group.group.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
                        + group.topic.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + pad(group.position, 11) + pad(group.lag, 11))
            }
            return lines.joined(separator: "\n") + "\n"
        }

        static func pad<Number: BinaryInteger>(_ number: Number, _ width: Int) -> String {
            let text = String(number)
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }

        /// `topics describe --json`: the brokers, each topic's partitions, and each group's position and lag.
        struct Document: Encodable {
            struct Broker: Encodable {
                var id: Int32
                var host: String
                var port: Int32
            }

            struct Partition: Encodable {
                var partition, leader: Int32
                var replicas, inSyncReplicas: [Int32]
            }

            struct Group: Encodable {
                var group, topic: String
                var committed, lag: Int64
            }

            var brokers: [Broker]
            /// The pipeline's topics that exist, by name.
            var topics: [String: [Partition]]
            var groups: [Group]

            init(_ metadata: KafkaMetadata, _ status: LogStatus) {
                brokers = metadata.brokers.sorted { $0.id < $1.id }.map { Broker(id: $0.id, host: $0.host, port: $0.port) }
                topics = [:]
                for name in Topic.all {
                    topics[name] = metadata.topic(name)?.partitions.map {
                        Partition(partition: $0.id, leader: $0.leader, replicas: $0.replicas, inSyncReplicas: $0.inSyncReplicas)
                    }
                }
                groups = status.groups.map { Group(group: $0.group, topic: $0.topic, committed: $0.position, lag: $0.lag) }
            }
        }
    }
}

extension CommonOptions {
    /// Settings for a command that only makes sense on Kafka.
    func kafkaSettings() throws -> Settings {
        let settings = try self.settings()
        guard settings.log == .kafka else {
            throw UserError("this command works on Kafka; pass --brokers host:port,... (or set log: kafka and brokers in the configuration)")
        }
        return settings
    }
}
