import GRDB
import StockpipeCore

extension SQLiteStore {
    /// A full disk, a lock held too long or an I/O error may pass: they become
    /// ``StoreUnavailable``, which the load stage waits out. Other errors are about what was
    /// written, or a broken file.
    static func unavailableIfTransient<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as DatabaseError where transient.contains(error.resultCode.primaryResultCode.rawValue) {
            throw StoreUnavailable("SQLite: \(error.message ?? "\(error.resultCode)")")
        }
    }

    private static let transient = Set([ResultCode.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_NOMEM].map(\.rawValue))
}
