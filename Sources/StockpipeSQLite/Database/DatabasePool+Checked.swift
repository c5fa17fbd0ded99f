import GRDB
import StockpipeCore

/// What the embedded log and the embedded store do alike with their SQLite files: reads and
/// writes that report a damaged file as such, and a checkpoint on close.
extension DatabasePool {
    /// `read`, with a damaged file reported as ``DamagedDatabaseError``: a query that meets a
    /// corrupt page fails instead of answering from the pages it could read.
    package func checkedRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await read(body) } catch { throw DamagedDatabaseError.from(error, path: path) }
    }

    /// `write`, with a damaged file reported as ``DamagedDatabaseError``.
    package func checkedWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await write(body) } catch { throw DamagedDatabaseError.from(error, path: path) }
    }

    /// Copies every committed transaction from the WAL into the database file and empties the WAL,
    /// so that a cleanly stopped process leaves one self-contained file (a copy or backup of it
    /// alone is complete). Without waiting: when another process is reading or writing, what it
    /// cannot copy now stays in the WAL for that process (or SQLite's next checkpoint) to copy.
    package func checkpointForClose() {
        _ = try? writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}

extension DamagedDatabaseError {
    /// `error` as a ``DamagedDatabaseError`` when SQLite says the file is corrupt or not a database;
    /// any other error as it is.
    package static func from(_ error: any Error, path: String) -> any Error {
        guard let error = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) else { return error }
        return DamagedDatabaseError(path: path, detail: error.message ?? "database disk image is malformed")
    }
}
