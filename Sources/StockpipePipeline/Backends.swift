import Foundation
import StockpipeKafka
import StockpipeLog
import StockpipeStore

/// The log and the store a process works on, opened from the settings.
public struct Backends: Sendable {
    public let log: any Log
    public let store: any Store
    public let dataDirectory: String

    /// Opens the log the settings choose, and the store in the data directory (created if `create`).
    public static func open(_ settings: Settings, create: Bool) async throws -> Backends {
        let directory = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL.path
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
        let store: SQLiteStore
        var embedded: EmbeddedLog?
        do {
            store = try SQLiteStore(path: directory + "/store.sqlite")
            if settings.log == .embedded {
                embedded = try EmbeddedLog(.init(path: directory + "/log.sqlite", retention: settings.retention))
            }
        } catch {
            throw UserError("cannot open the pipeline data in \(directory): \(error); is it a stockpipe data directory?")
        }
        if let embedded { return Backends(log: embedded, store: store, dataDirectory: directory) }
        do {
            let log = try await KafkaLog(settings.kafkaConfiguration, knownSources: [settings.sourceName, StatusReport.redriveSource])
            return Backends(log: log, store: store, dataDirectory: directory)
        } catch {
            try? await store.close()
            throw UserError("\(error)")
        }
    }

    public func close() async {
        try? await log.close()
        try? await store.close()
    }
}
