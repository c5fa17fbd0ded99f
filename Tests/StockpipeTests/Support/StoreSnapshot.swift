import Foundation
import GRDB

/// A store's rows as text, read with SQLite directly (not through our code), for comparing two runs.
struct StoreSnapshot: Equatable {
    var trades: [String]
    var candles: [String]
    var quarantine: [String]

    /// Quarantine times are left out; so is each record's origin unless `origins`, because a
    /// partitioned log places records at other partitions and offsets than the embedded one.
    init(_ dataDirectory: String, origins: Bool = true) throws {
        let database = try DatabaseQueue(path: dataDirectory + "/store.sqlite")
        defer { try? database.close() }
        (trades, candles, quarantine) = try database.read { db in
            func rows(_ sql: String) throws -> [String] {
                try Row.fetchAll(db, sql: sql).map { $0.description }
            }
            return (
                try rows("SELECT symbol, ts, hex(id), price, volume, conditions, source_hash FROM trades ORDER BY symbol, ts, id"),
                try rows("SELECT symbol, start, open, high, low, close, hex(volume), hex(notional), trades FROM candles_1m ORDER BY symbol, start"),
                try rows("SELECT source, reason_bits, hex(payload)\(origins ? ", origin" : "") FROM quarantine ORDER BY source")
            )
        }
    }
}

extension StoreSnapshot {
    /// Trades plus quarantined records in a store, read only; 0 while the store does not exist yet.
    static func rowCount(_ dataDirectory: String) throws -> Int {
        let path = dataDirectory + "/store.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        // The first reader after a kill may find SQLite recovering the write-ahead log.
        configuration.busyMode = .timeout(10)
        let database = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? database.close() }
        return try database.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            guard tables.contains("trades"), tables.contains("quarantine") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM trades) + (SELECT count(*) FROM quarantine)") ?? 0
        }
    }
}
