import Foundation
import GRDB
import StockpipeCore

/// SQLite's own consistency checks of a database file, for `stockpipe check`.
public enum SQLiteIntegrity {
    /// The problems `PRAGMA integrity_check` and `PRAGMA foreign_key_check` find in the file at
    /// `path`, at most `limit` of each; empty when the file is sound. A file that cannot be opened or
    /// read at all gives one problem saying why.
    public static func problems(path: String, limit: Int = 20) -> [String] {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(30)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check(\(limit))").filter { $0 != "ok" }
                for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").prefix(limit) {
                    let table: String = row[0] ?? "?"
                    let parent: String = row[2] ?? "?"
                    problems.append("a row of \(table) refers to a missing row of \(parent)")
                }
                return problems
            }
        } catch let error as DatabaseError {
            return ["SQLite cannot read it: \(error.message ?? "\(error.resultCode)")"]
        } catch {
            return ["SQLite cannot read it: \(error)"]
        }
    }
}
