import ArgumentParser
import Foundation
import StockpipeJSON
import StockpipeKafka
import StockpipeCore
import Logging
import ServiceLifecycle
import StockpipeApp
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
            try common.checkpoint("create the topics on Kafka at \(settings.kafka.brokers ?? "") with \(partitions) partitions "
                                  + "and replication factor \(replicationFactor)")
            let results: [(String, KafkaAdmin.Outcome)]
            do {
                results = try await KafkaAdmin.createTopics(TopicSpec.pipeline(partitions: partitions, replicationFactor: replicationFactor),
                                                            configuration: settings.kafka.configuration)
            } catch let error as KafkaError {
                throw UserError(error.description)
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
            } catch {
                throw UserError("\(error)")
            }
            let metadata = try await log.describe()
            let status = try await log.status()
            try await log.close()
            print(json ? Self.document(metadata, status) : Self.text(metadata, status), terminator: json ? "\n" : "")
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
                    lines.append("  " + pad(partition.id, 9) + "  " + pad(partition.leader, 6) + "  " + replicas.padding(toLength: 8, withPad: " ", startingAt: 0)
                                 + "  " + inSync + warning)
                }
            }
            lines.append("")
            lines.append("group     topic           committed        lag")
            for group in status.groups {
                lines.append(group.group.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
                             + group.topic.padding(toLength: 14, withPad: " ", startingAt: 0)
                             + pad(group.position, 11) + pad(group.lag, 11))
            }
            return lines.joined(separator: "\n") + "\n"
        }

        static func pad<Number: BinaryInteger>(_ number: Number, _ width: Int) -> String {
            let text = String(number)
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }

        static func document(_ metadata: KafkaMetadata, _ status: LogStatus) -> String {
            var writer = JSONWriter(capacity: 4096)
            writer.objectStart()
            writer.key("brokers")
            writer.arrayStart()
            for broker in metadata.brokers.sorted(by: { $0.id < $1.id }) {
                writer.objectStart()
                writer.key("id"); writer.integer(Int64(broker.id))
                writer.key("host"); writer.string(broker.host)
                writer.key("port"); writer.integer(Int64(broker.port))
                writer.objectEnd()
            }
            writer.arrayEnd()
            writer.key("topics")
            writer.objectStart()
            for name in Topic.all {
                guard let topic = metadata.topic(name) else { continue }
                writer.key(dynamic: name)
                writer.arrayStart()
                for partition in topic.partitions {
                    writer.objectStart()
                    writer.key("partition"); writer.integer(Int64(partition.id))
                    writer.key("leader"); writer.integer(Int64(partition.leader))
                    writer.key("replicas"); writer.arrayStart(); partition.replicas.forEach { writer.integer(Int64($0)) }; writer.arrayEnd()
                    writer.key("inSyncReplicas"); writer.arrayStart(); partition.inSyncReplicas.forEach { writer.integer(Int64($0)) }; writer.arrayEnd()
                    writer.objectEnd()
                }
                writer.arrayEnd()
            }
            writer.objectEnd()
            writer.key("groups")
            writer.arrayStart()
            for group in status.groups {
                writer.objectStart()
                writer.key("group"); writer.string(group.group)
                writer.key("topic"); writer.string(group.topic)
                writer.key("committed"); writer.integer(group.position)
                writer.key("lag"); writer.integer(group.lag)
                writer.objectEnd()
            }
            writer.arrayEnd()
            writer.objectEnd()
            return writer.string
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
