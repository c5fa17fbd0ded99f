import StockpipePipeline
import Foundation
import StockpipeCassandra
import StockpipeKafka
import StockpipeSQLite
import StockpipeCore

/// The log and the store a process works on, opened from the settings.
public struct Backends: Sendable {
    public let log: any Log
    public let store: any Store
    public let dataDirectory: String

    /// Opens the log the settings choose, and the store in the data directory (created if `create`).
    public static func open(_ settings: Settings, create: Bool) async throws -> Backends {
        let directory = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL.path
        if settings.store == .cassandra && settings.log == .kafka {
            // Nothing lives in the data directory.
            return try await withKafkaLog(settings, store: try await openCassandra(settings), directory: directory)
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw UserError("data directory \(directory) is a file; choose a directory with --data-dir")
        }
        if !exists {
            guard create else {
                throw UserError("no pipeline data in \(directory); run `stockpipe run` first, or point --data-dir at its data directory")
            }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw UserError("cannot create data directory \(directory): \(error.localizedDescription); choose another with --data-dir")
            }
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw UserError("data directory \(directory) is not writable; fix its permissions or choose another with --data-dir")
        }
        let store: any Store
        var embedded: EmbeddedLog?
        do {
            if settings.store == .embedded { store = try SQLiteStore(path: directory + "/store.sqlite") }
            else { store = try await openCassandra(settings) }
        } catch let error as UserError {
            throw error
        } catch let error as DamagedDatabaseError {
            throw error
        } catch let error as CassandraStoreError {
            throw error
        } catch {
            throw UserError("cannot open the pipeline data in \(directory): \(error); is it a stockpipe data directory?")
        }
        do {
            if settings.log == .embedded {
                embedded = try EmbeddedLog(.init(path: directory + "/log.sqlite", retention: settings.retention))
            }
        } catch {
            try? await store.close()
            if error is DamagedDatabaseError { throw error }
            throw UserError("cannot open the pipeline data in \(directory): \(error); is it a stockpipe data directory?")
        }
        if let embedded { return Backends(log: embedded, store: store, dataDirectory: directory) }
        return try await withKafkaLog(settings, store: store, directory: directory)
    }

    /// Connects to Kafka for a store already open; closes the store if that fails.
    private static func withKafkaLog(_ settings: Settings, store: any Store, directory: String) async throws -> Backends {
        do {
            let log = try await KafkaLog(settings.kafkaConfiguration, knownSources: [settings.sourceName, StatusReport.redriveSource])
            return Backends(log: log, store: store, dataDirectory: directory)
        } catch let error as KafkaError where error.isUsersToFix {
            try? await store.close()
            throw error
        } catch {
            try? await store.close()
            throw UserError("\(error)")
        }
    }

    /// The Cassandra store, with the cluster's answer in the error when it cannot be reached.
    static func openCassandra(_ settings: Settings) async throws -> any Store {
        let configuration = try settings.cassandraConfiguration
        do {
            return try await CassandraStore.open(configuration)
        } catch let error as CassandraStoreError {
            throw error
        } catch {
            throw UserError("cannot use Cassandra at \(settings.contactPoints ?? ""): \(CassandraConfiguration.explain(error))")
        }
    }

    public func close() async {
        try? await log.close()
        try? await store.close()
    }
}
