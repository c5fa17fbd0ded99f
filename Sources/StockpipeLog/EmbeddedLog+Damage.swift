import GRDB
import StockpipeModel

extension EmbeddedLog {
    /// `pool.read`, with a damaged file reported as ``DamagedDatabaseError`` (see the store's).
    func checkedRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch { throw Self.damage(error, path: pool.path) }
    }

    /// `pool.write`, with a damaged file reported as ``DamagedDatabaseError``.
    func checkedWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch { throw Self.damage(error, path: pool.path) }
    }

    static func damage(_ error: any Error, path: String) -> any Error {
        guard let error = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) else { return error }
        return DamagedDatabaseError(path: path, detail: error.message ?? "database disk image is malformed")
    }
}

/// Copies every committed transaction from the WAL into the database file and empties the WAL, so
/// that a cleanly stopped process leaves one self-contained file (a copy or backup of it alone is
/// complete). Without waiting: when another process is reading or writing, what it cannot copy now
/// stays in the WAL for that process (or SQLite's next checkpoint) to copy.
func checkpointForClose(_ pool: DatabasePool) {
    _ = try? pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA busy_timeout = 0")
        try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
    }
}
