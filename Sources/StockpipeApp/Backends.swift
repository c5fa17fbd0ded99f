import Foundation
import StockpipeCore

/// The log and the store a process works on, opened from the settings.
public struct Backends: Sendable {
    public let log: any Log
    public let store: any Store
    public let dataDirectory: String

    /// Opens the store and then the log the settings choose (see ``Settings/LogKind/backend`` and
    /// ``Settings/StoreKind/backend``); the data directory is checked first when either keeps its
    /// data there, and created if `create`.
    public static func open(_ settings: Settings, create: Bool) async throws -> Backends {
        let directory = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL.path
        let log = settings.log.backend
        let store = settings.store.backend
        if log.keepsDataInDirectory || store.keepsDataInDirectory {
            try prepareDataDirectory(directory, create: create)
        }
        let openedStore = try await store.open(settings, directory)
        do {
            return Backends(log: try await log.open(settings, directory), store: openedStore, dataDirectory: directory)
        } catch {
            try? await openedStore.close()
            throw error
        }
    }

    /// Checks that `directory` is a writable directory, creating it if it is missing and `create`.
    private static func prepareDataDirectory(_ directory: String, create: Bool) throws {
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
    }

    public func close() async {
        try? await log.close()
        try? await store.close()
    }
}
