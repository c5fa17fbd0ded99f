import Foundation
import GRDB
import StockpipeCore
import StockpipeSQLite
import StockpipeSources
import Synchronization
import Testing

/// The embedded log and store on disk: complete after a clean exit, checked by `stockpipe check`,
/// and never read past damage (issue 16, point 6).
@Suite("Store integrity", .timeLimit(.minutes(5)))
struct StoreIntegrityTests {
    /// A data directory after a drained simulator run of `records` records.
    static func drainedDirectory(_ directory: TemporaryDirectory, records: Int = 20_000) async throws -> String {
        let data = directory.file("data")
        let result = try await runStockpipe(
            [
                "run", "--drain", "--limit", String(records), "--no-dashboard", "--no-scheduler",
                "--data-dir", data,
            ], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        return data
    }

    /// The stages of one machine started together on a new data directory each make its files:
    /// the second used to fail with "table trades already exists" (seen starting five processes at
    /// once). Eight openers at once, on threads of their own, five times over.
    @Test func processesOpeningANewDataDirectoryAtOnceAllSucceed() async throws {
        for round in 0..<5 {
            let directory = try TemporaryDirectory()
            let (store, log) = (directory.file("store.sqlite"), directory.file("log.sqlite"))
            let failures = Mutex<[String]>([])
            let threads = (0..<8).map { index in
                Thread {
                    do {
                        if index % 2 == 0 {
                            _ = try SQLiteStore(path: store)
                        } else {
                            _ = try EmbeddedLog(.init(path: log))
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            let started = Date()
            for thread in threads { thread.start() }
            while threads.contains(where: { !$0.isFinished }) && Date().timeIntervalSince(started) < 60 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(failures.withLock { $0 }.isEmpty, "round \(round): \(failures.withLock { $0 })")
        }
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test func aCleanExitLeavesEveryCommittedRowInTheDatabaseFilesThemselves() async throws {
        let directory = try TemporaryDirectory()
        let data = try await Self.drainedDirectory(directory)
        for name in ["log.sqlite", "store.sqlite"] {
            #expect(Self.size(data + "/" + name + "-wal") == 0, "\(name)-wal holds \(Self.size(data + "/" + name + "-wal")) bytes")
        }
        // The two files alone, as a backup that copies only *.sqlite would have them, hold everything.
        let copy = directory.file("copy")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in ["log.sqlite", "store.sqlite"] { try FileManager.default.copyItem(atPath: data + "/" + name, toPath: copy + "/" + name) }
        let original = try await runStockpipe(["status", "--json", "--data-dir", data])
        let copied = try await runStockpipe(["status", "--json", "--data-dir", copy])
        #expect(copied.status == 0, "\(copied.stderr)")
        let counts = { (text: String) throws -> [String: Any] in
            let document = try #require(try parseJSON(text) as? [String: Any])
            return try #require(document["reconciliation"] as? [String: Any])
        }
        let (before, after) = (try counts(original.stdout), try counts(copied.stdout))
        #expect(after["stored"] as? Int == before["stored"] as? Int && (after["stored"] as? Int ?? 0) > 0, "\(after) vs \(before)")
        #expect(after["balanced"] as? Bool == true)
    }

    @Test func runDrainFailsWhenItsCountsDoNotReconcile() async throws {
        let directory = try TemporaryDirectory()
        let data = try await Self.drainedDirectory(directory, records: 2_000)
        // A store that lost rows behind the pipeline's back.
        let database = try DatabaseQueue(path: data + "/store.sqlite")
        try await database.write { db in try db.execute(sql: "UPDATE counters SET value = value - 7 WHERE name = 'trades'") }
        try database.close()
        let again = try await runStockpipe(
            ["run", "--drain", "--limit", "2000", "--no-dashboard", "--no-scheduler", "--data-dir", data],
            in: directory.path)
        #expect(again.status == 1, "\(again.stderr)")
        let last = again.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("counts do not reconcile") && last.contains("7 missing") && last.contains("stockpipe status"), "\(last)")
        #expect(!again.stderr.contains("Fatal error"))
    }

    @Test func checkSaysOkForSoundDatabasesInTextAndJSON() async throws {
        let directory = try TemporaryDirectory()
        let data = try await Self.drainedDirectory(directory, records: 2_000)
        let text = try await runStockpipe(["check", "--data-dir", data])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasSuffix(": ok") }, "\(text.stdout)")
        let json = try await runStockpipe(["check", "--json", "--data-dir", data])
        let document = try #require(try parseJSON(json.stdout) as? [String: Any])
        #expect(document["ok"] as? Bool == true)
        #expect((document["databases"] as? [[String: Any]])?.count == 2)
        // Beside Kafka and Cassandra, what is not in the data directory is said, not checked.
        let remote = try await runStockpipe(["check", "--data-dir", data, "--brokers", "127.0.0.1:1", "--contact-points", "127.0.0.1:1"])
        #expect(remote.status == 0, "\(remote.stderr)")
        #expect(remote.stdout.contains("Kafka at 127.0.0.1:1: not checked here") && remote.stdout.contains("Cassandra"), "\(remote.stdout)")
        let mixed = try await runStockpipe(["check", "--data-dir", data, "--brokers", "127.0.0.1:1"])
        #expect(mixed.status == 0 && mixed.stdout.contains("store.sqlite: ok"), "\(mixed.stdout)")
        // A data directory without the files is not sound.
        let empty = directory.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let missing = try await runStockpipe(["check", "--data-dir", empty])
        #expect(missing.status == 1 && missing.stdout.contains("missing"), "\(missing.stdout)")
    }

    /// The pages of the trades table's leaves, from SQLite's dbstat table.
    static func tradeLeafPages(_ path: String) throws -> [Int] {
        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        return try database.read { db in
            try Int.fetchAll(db, sql: "SELECT pageno FROM dbstat WHERE name = 'trades' AND pagetype = 'leaf' ORDER BY pageno")
        }
    }

    @Test func aDamagedPageFailsTheQueryThatMeetsItAndCheckNamesIt() async throws {
        let directory = try TemporaryDirectory()
        let data = try await Self.drainedDirectory(directory)
        let store = data + "/store.sqlite"
        var originals: [String: String] = [:]
        for symbol in Simulator.defaultSymbols {
            let result = try await runStockpipe([
                "query", "trades", "--symbol", symbol, "--from", "0", "--limit", "1000000", "--json",
                "--data-dir", data,
            ])
            #expect(result.status == 0)
            originals[symbol] = result.stdout
        }
        // A page of random bytes in the middle of the trades table.
        let pages = try Self.tradeLeafPages(store)
        try #require(pages.count > 4)
        let page = pages[pages.count / 2]
        let pageSize = 4_096
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<pageSize).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let handle = try #require(FileHandle(forUpdatingAtPath: store))
        try handle.seek(toOffset: UInt64((page - 1) * pageSize))
        try handle.write(contentsOf: noise)
        try handle.close()

        let check = try await runStockpipe(["check", "--data-dir", data])
        #expect(check.status == 1, "\(check.stdout)")
        #expect(check.stdout.contains("store.sqlite: DAMAGED") && check.stdout.contains("log.sqlite: ok"), "\(check.stdout)")
        let json = try await runStockpipe(["check", "--json", "--data-dir", data])
        let damaged = try parseJSON(json.stdout) as? [String: Any]
        #expect(json.status == 1 && damaged?["ok"] as? Bool == false)

        var failed = 0
        for symbol in Simulator.defaultSymbols {
            let result = try await runStockpipe([
                "query", "trades", "--symbol", symbol, "--from", "0", "--limit", "1000000", "--json",
                "--data-dir", data,
            ])
            if result.status == 0 {
                // Never part of the answer with exit 0: what succeeds is all of it.
                #expect(result.stdout == originals[symbol], "\(symbol): a different answer with exit 0")
            } else {
                failed += 1
                #expect(result.status == 1, "\(symbol): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(result.stderr.contains("store.sqlite is damaged") && result.stderr.contains("stockpipe check"), "\(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
        }
        #expect(failed > 0, "no query met the damaged page \(page)")
    }

    /// A damaged root page makes SQLite report many problems (in one row, a line each): `check` still
    /// prints one line per database, the first three problems and how many more.
    @Test func checkPrintsOneLinePerDatabaseHoweverManyProblems() async throws {
        let directory = try TemporaryDirectory()
        let data = try await Self.drainedDirectory(directory)
        let store = data + "/store.sqlite"
        let root = try {
            let database = try DatabaseQueue(path: store)
            defer { try? database.close() }
            return try database.read { try Int.fetchOne($0, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'trades'") }
        }()
        let page = try #require(root)
        let pageSize = 4_096
        var generator = SystemRandomNumberGenerator()
        let handle = try #require(FileHandle(forUpdatingAtPath: store))
        try handle.seek(toOffset: UInt64((page - 1) * pageSize))
        try handle.write(contentsOf: Data((0..<pageSize).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try handle.close()

        let check = try await runStockpipe(["check", "--data-dir", data])
        #expect(check.status == 1, "\(check.stdout)")
        let lines = check.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(check.stdout)")
        let damaged = try #require(lines.first { $0.contains("store.sqlite: DAMAGED: ") }, "\(check.stdout)")
        #expect(damaged.contains(" problems: ") && damaged.contains(" … and ") && damaged.hasSuffix(" more"), "\(damaged)")
        #expect(damaged.components(separatedBy: "; ").count == 3, "the first three problems: \(damaged)")
        #expect(!damaged.contains("*** in database"), "\(damaged)")
        #expect(lines.contains { $0.hasSuffix("log.sqlite: ok") }, "\(check.stdout)")
        // The JSON lists each problem on its own.
        let json = try await runStockpipe(["check", "--json", "--data-dir", data])
        let document = try #require(try parseJSON(json.stdout) as? [String: Any])
        let problems = try #require((document["databases"] as? [[String: Any]])?.first { $0["name"] as? String == "store" }?["problems"] as? [String])
        #expect(problems.count > 3 && problems.allSatisfy { !$0.contains("\n") && !$0.isEmpty }, "\(problems)")
    }
}
