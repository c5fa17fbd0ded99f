import ArgumentParser
import StockpipeCassandra
import StockpipeCore
import StockpipePipeline

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Create the Cassandra keyspace and tables.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the keyspace (cassandra.replication, SimpleStrategy:3 unless set) and the store's tables; "
                + "what exists is left as it is, so it is safe to run again.")

        @OptionGroup var common: CommonOptions
        @Option(help: ArgumentHelp("Keyspace (default stock_data).", valueName: "NAME"))
        var keyspace: String?
        @Option(help: ArgumentHelp("SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M.", valueName: "STRATEGY"))
        var replication: String?

        func run() async throws {
            let settings = try common.settings { settings in
                if let keyspace { try settings.apply(flag: "cassandra.keyspace", value: keyspace) }
                if let replication { try settings.apply(flag: "cassandra.replication", value: replication) }
                settings.store = .cassandra
            }
            _ = try settings.cassandra.configuration
            try common.checkpoint(
                "create the keyspace \(settings.cassandra.keyspace) (\(settings.cassandra.replication)) and the tables "
                    + "on Cassandra at \(settings.cassandra.contactPoints ?? "")")
            let outcomes: [CassandraSchema.Outcome]
            do {
                outcomes = try await CassandraSchema.create(try settings.cassandra.configuration)
            } catch let error as UserError {
                throw error
            } catch {
                throw UserError(
                    "cannot create the schema on Cassandra at \(settings.cassandra.contactPoints ?? ""): \(CassandraConfiguration.explain(error))")
            }
            for outcome in outcomes {
                print("\(outcome.object): \(outcome.created ? "created" : "exists already, left as it is")")
            }
        }
    }
}
