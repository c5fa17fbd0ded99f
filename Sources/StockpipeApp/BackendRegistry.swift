import StockpipeCassandra
import StockpipeCore
import StockpipeKafka
import StockpipePipeline
import StockpipeSQLite

extension Settings {
    /// Where the topics live; ``LogKind/backend`` says how each kind is opened.
    public enum LogKind: String, Sendable, CaseIterable {
        case embedded, kafka

        /// The registry of logs: each kind's settings section and opener.
        var backend: Backend<any Log> {
            switch self {
            case .embedded:
                Backend(settings: \.embedded, keepsDataInDirectory: true) { settings, directory in
                    try Backend.openingDataDirectory(directory) {
                        try EmbeddedLog(.init(path: directory + "/log.sqlite", retention: settings.embedded.retention))
                    }
                }
            case .kafka:
                Backend(settings: \.kafka, keepsDataInDirectory: false) { settings, _ in
                    do {
                        let knownSources = [settings.sourceName, StatusReport.redriveSource]
                        return try await KafkaLog(settings.kafka.configuration, knownSources: knownSources)
                    } catch let error as KafkaError where error.isUsersToFix {
                        throw error
                    } catch {
                        throw UserError("\(error)")
                    }
                }
            }
        }
    }

    /// Where trades, candles, quotes and the quarantine are kept; ``StoreKind/backend`` says how each kind is opened.
    public enum StoreKind: String, Sendable, CaseIterable {
        case embedded, cassandra

        /// The registry of stores: each kind's settings section and opener.
        var backend: Backend<any Store> {
            switch self {
            case .embedded:
                Backend(settings: \.embedded, keepsDataInDirectory: true) { _, directory in
                    try Backend.openingDataDirectory(directory) { try SQLiteStore(path: directory + "/store.sqlite") }
                }
            case .cassandra:
                Backend(settings: \.cassandra, keepsDataInDirectory: false) { settings, _ in
                    let configuration = try settings.cassandra.configuration
                    do {
                        return try await CassandraStore.open(configuration)
                    } catch let error as CassandraStoreError {
                        throw error
                    } catch {
                        // The cluster's answer is in the error when it cannot be reached.
                        let contactPoints = settings.cassandra.contactPoints ?? ""
                        throw UserError("cannot use Cassandra at \(contactPoints): \(CassandraConfiguration.explain(error))")
                    }
                }
            }
        }
    }

    /// The settings of the chosen log (`settings.kafka` for Kafka, ...).
    public var logSettings: any BackendSettings { log.backend.settings(self) }

    /// The settings of the chosen store (`settings.cassandra` for Cassandra, ...).
    public var storeSettings: any BackendSettings { store.backend.settings(self) }
}

/// One kind of log or store: its settings section and how it is opened.
struct Backend<Opened: Sendable>: Sendable {
    /// Its section of the settings.
    let settings: @Sendable (Settings) -> any BackendSettings
    /// Whether it keeps its data in the data directory, which is then checked (and created if asked) first.
    let keepsDataInDirectory: Bool
    /// Opens it from the settings; `directory` is the data directory's full path. Throws what the CLI tells the user.
    let open: @Sendable (Settings, _ directory: String) async throws -> Opened

    init<Section: BackendSettings>(
        settings path: any KeyPath<Settings, Section> & Sendable, keepsDataInDirectory: Bool,
        open: @escaping @Sendable (Settings, _ directory: String) async throws -> Opened
    ) {
        self.settings = { $0[keyPath: path] }
        self.keepsDataInDirectory = keepsDataInDirectory
        self.open = open
    }

    /// Runs `open` on a SQLite file of the data directory, naming the directory when it fails
    /// (a damaged database keeps its own sentence).
    static func openingDataDirectory(_ directory: String, _ open: () throws -> Opened) throws -> Opened {
        do {
            return try open()
        } catch let error as UserError {
            throw error
        } catch let error as DamagedDatabaseError {
            throw error
        } catch {
            throw UserError("cannot open the pipeline data in \(directory): \(error); is it a stockpipe data directory?")
        }
    }
}
