import Foundation
import GRDB
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import StockpipeSources
import Testing

/// What a replay does when its file changes between runs or while it is followed: replaced (by
/// `mv` or by `cp` over it), truncated, growing, a last line still being written, a byte order
/// mark; and which symbols a replay allows. Through the real binary over real files.
@Suite("Replay files as they change", .timeLimit(.minutes(5)))
struct ReplayFileTests {
    /// One trade per line, distinct and within the price-jump limit of each other.
    static func lines(_ count: Int, from first: Int, symbol: String = "AAPL") -> [String] {
        (0..<count).map { tradeMessage([trade(symbol, price: String(format: "%.2f", 150 + Double(first + $0) / 100))]) }
    }

    static func write(_ path: String, _ lines: [String], newline: Bool = true) throws {
        try (lines.joined(separator: "\n") + (newline ? "\n" : "")).write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func append(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    static func inode(_ path: String) throws -> UInt64 {
        try #require((try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.uint64Value)
    }

    /// `run --drain` over `file`; fails the test unless it exits 0.
    @discardableResult
    static func drainRun(_ file: String, _ data: String, _ extra: [String] = []) async throws -> ProcessResult {
        let result = try await runStockpipe(
            [
                "run", "--source", "replay", "--file", file, "--drain", "--no-dashboard",
                "--data-dir", data,
            ] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return result
    }

    struct Counts: Equatable, CustomStringConvertible {
        var trades: Int
        var quarantined: Int
        var balanced: Bool
        var pending: Int
        var description: String { "\(trades) trades, \(quarantined) quarantined, pending \(pending), balanced \(balanced)" }
    }

    static func counts(_ data: String) async throws -> Counts {
        let status = try await runStockpipe(["status", "--json", "--data-dir", data])
        let json = try #require(try parseJSON(status.stdout) as? [String: Any], "\(status.stderr)")
        let store = try #require(json["store"] as? [String: Any])
        let reconciliation = try #require(json["reconciliation"] as? [String: Any])
        return Counts(
            trades: store["trades"] as? Int ?? -1, quarantined: store["quarantined"] as? Int ?? -1,
            balanced: reconciliation["balanced"] as? Bool ?? false, pending: reconciliation["pending"] as? Int ?? -1)
    }

    static func quarantineReasons(_ data: String) async throws -> [String: Int] {
        let status = try await runStockpipe(["status", "--json", "--data-dir", data])
        let json = try #require(try parseJSON(status.stdout) as? [String: Any])
        return ((json["quarantine"] as? [String: Int]) ?? [:]).filter { $0.value > 0 }
    }

    /// Polls `status` until `done` holds (a running pipeline catches up in well under a second;
    /// the limit only keeps a broken build from hanging).
    static func waitFor(_ data: String, timeout: Duration = .seconds(90), _ done: (Counts) -> Bool) async throws -> Counts {
        let deadline = ContinuousClock.now + timeout
        var last = Counts(trades: -1, quarantined: -1, balanced: false, pending: -1)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: data + "/store.sqlite") {
                last = try await counts(data)
                if done(last) { return last }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    /// `run` without `--drain`, following the file, until `stop` is called.
    struct Follower {
        let process: Process
        let stderrPath: String

        init(_ file: String, _ data: String, _ extra: [String] = []) throws {
            (process, _, stderrPath) = try startStockpipe(
                [
                    "run", "--source", "replay", "--file", file, "--no-dashboard",
                    "--no-scheduler", "--data-dir", data,
                ] + extra)
        }

        /// SIGTERM, a graceful stop; returns what it printed on stderr.
        func stop() async throws -> String {
            kill(process.processIdentifier, SIGTERM)
            let status = await process.exited()
            #expect(status == 0, "exit \(status)")
            return (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        }
    }

    // MARK: - Replaced and truncated between runs

    @Test func aFileReplacedByMvWithALongerOneIsReadFromItsStart() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(file, Self.lines(3, from: 0))
        try await Self.drainRun(file, data)
        let rotated = directory.file("new.ndjson")
        try Self.write(rotated, Self.lines(5, from: 10))
        let before = try Self.inode(file)
        #expect(rename(rotated, file) == 0, "as mv does")
        #expect(try Self.inode(file) != before)
        let second = try await Self.drainRun(file, data)
        #expect(second.stderr.contains("reading it from the start") && second.stderr.contains("replaced"), "\(second.stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 8, quarantined: 0, balanced: true, pending: 0))
        // The new file's position is kept: a third run stages nothing and says nothing.
        let third = try await Self.drainRun(file, data)
        #expect(!third.stderr.contains("from the start"), "\(third.stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 8, quarantined: 0, balanced: true, pending: 0))
    }

    @Test func aFileOverwrittenByCpKeepsItsInodeAndIsStillReadFromItsStart() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(file, Self.lines(3, from: 0))
        try await Self.drainRun(file, data)
        let longer = directory.file("longer.ndjson")
        try Self.write(longer, Self.lines(5, from: 10))
        let before = try Self.inode(file)
        let copy = try await runProgram("/bin/cp", [longer, file])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try Self.inode(file) == before, "cp over a file keeps its inode")
        let second = try await Self.drainRun(file, data)
        #expect(second.stderr.contains("reading it from the start") && second.stderr.contains("rewritten"), "\(second.stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 8, quarantined: 0, balanced: true, pending: 0))
    }

    @Test func aTruncatedFileIsReadFromItsStartAndStillReconciles() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        let lines = Self.lines(3, from: 0)
        try Self.write(file, lines)
        try await Self.drainRun(file, data)
        // Cut back to its first line: shorter than where the last run stopped.
        #expect(truncate(file, off_t(lines[0].utf8.count + 1)) == 0)
        let second = try await Self.drainRun(file, data)
        #expect(second.stderr.contains("reading it from the start") && second.stderr.contains("truncated"), "\(second.stderr)")
        // The first line again: the same trade, from another place in the source, so a duplicate;
        // before, it was taken for a redelivery of the old line and the counts did not reconcile.
        #expect(try await Self.counts(data) == Counts(trades: 3, quarantined: 1, balanced: true, pending: 0))
        #expect(try await Self.quarantineReasons(data) == ["duplicate": 1])
    }

    @Test func aFileTruncatedThenGrownPastTheOffsetIsReadFromItsStart() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(file, Self.lines(3, from: 0))
        try await Self.drainRun(file, data)
        let before = try Self.inode(file)
        #expect(truncate(file, 0) == 0)
        for line in Self.lines(6, from: 20) { try Self.append(file, line + "\n") }
        #expect(try Self.inode(file) == before)
        let second = try await Self.drainRun(file, data)
        #expect(second.stderr.contains("reading it from the start"), "\(second.stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 9, quarantined: 0, balanced: true, pending: 0))
    }

    /// A checkpoint saved before marks existed (a bare offset): resumed where the file is at least
    /// that long, read from the start where it is shorter, as before.
    @Test func aCheckpointWithoutAMarkIsStillResumed() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(file, Self.lines(3, from: 0))
        try await Self.drainRun(file, data)
        func forgetMark() throws {
            let log = try DatabaseQueue(path: data + "/log.sqlite")
            try log.write { db in
                let state = try #require(try Data.fetchOne(db, sql: "SELECT state FROM source_checkpoints"))
                var counters = IngestCounters(json: [UInt8](state))
                #expect(counters.file != nil)
                counters.file = nil
                #expect(!String(decoding: counters.json(), as: UTF8.self).contains("inode"))
                try db.execute(sql: "UPDATE source_checkpoints SET state = ?", arguments: [Data(counters.json())])
            }
            try log.close()
        }
        try forgetMark()
        for line in Self.lines(2, from: 10) { try Self.append(file, line + "\n") }
        let resumed = try await Self.drainRun(file, data)
        #expect(!resumed.stderr.contains("from the start"), "\(resumed.stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 5, quarantined: 0, balanced: true, pending: 0))
        try forgetMark()
        try Self.write(file, Self.lines(2, from: 30))
        let shorter = try await Self.drainRun(file, data)
        #expect(shorter.stderr.contains("truncated"), "\(shorter.stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 7, quarantined: 0, balanced: true, pending: 0))
    }

    // MARK: - Following a growing file

    @Test func runWithoutDrainFollowsAGrowingFileAndAReplacedOne() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(file, Self.lines(2, from: 0))
        let follower = try Follower(file, data)
        var seen = try await Self.waitFor(data) { $0.trades == 2 }
        #expect(seen.trades == 2)
        try Self.append(file, Self.lines(3, from: 10).joined(separator: "\n") + "\n")
        seen = try await Self.waitFor(data) { $0.trades == 5 }
        #expect(seen.trades == 5, "appended lines are followed")
        // Rotated: moved away, a new file in its place.
        try FileManager.default.moveItem(atPath: file, toPath: directory.file("f.ndjson.1"))
        try Self.write(file, Self.lines(4, from: 20))
        seen = try await Self.waitFor(data) { $0.trades == 9 }
        #expect(seen.trades == 9, "the new file is read from its start")
        // Truncated while followed, then written again.
        #expect(truncate(file, 0) == 0)
        try await Task.sleep(for: .milliseconds(600))
        try Self.append(file, Self.lines(1, from: 40)[0] + "\n")
        seen = try await Self.waitFor(data) { $0.trades == 10 }
        #expect(seen.trades == 10, "the truncated file is read from its start")
        let stderr = try await follower.stop()
        #expect(stderr.contains("replaced") && stderr.contains("truncated"), "\(stderr)")
        #expect(try await Self.counts(data) == Counts(trades: 10, quarantined: 0, balanced: true, pending: 0))
    }

    /// `cp` over a followed file truncates it and writes the new bytes into the same inode; the
    /// new file, longer than what was read, must not be read on from the old offset.
    @Test func aFollowedFileOverwrittenByCpWithALongerOneIsReadFromItsStart() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(file, Self.lines(3, from: 0))
        let longer = directory.file("n.ndjson")
        try Self.write(longer, Self.lines(5, from: 10, symbol: "BINANCE:BTCUSDT"))
        let follower = try Follower(file, data)
        var seen = try await Self.waitFor(data) { $0.trades == 3 }
        #expect(seen.trades == 3)
        try await Task.sleep(for: .milliseconds(500))  // at the end of the file, polling
        let before = try Self.inode(file)
        let copy = try await runProgram("/bin/cp", [longer, file])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try Self.inode(file) == before, "cp over a file keeps its inode")
        seen = try await Self.waitFor(data) { $0.trades + $0.quarantined >= 8 && $0.pending == 0 }
        try await Task.sleep(for: .milliseconds(800))  // anything read twice would arrive by now
        let stderr = try await follower.stop()
        #expect(stderr.contains("reading it from the start"), "\(stderr)")
        #expect(try await Self.quarantineReasons(data) == [:])
        #expect(try await Self.counts(data) == Counts(trades: 8, quarantined: 0, balanced: true, pending: 0))
    }

    @Test func aCutLastLineWaitsForItsNewlineAcrossRunsAndWhileFollowed() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        let lines = Self.lines(3, from: 0)
        let half = lines[1].utf8.count / 2
        try Self.write(file, [lines[0], String(lines[1].prefix(half))], newline: false)
        // Followed, the cut line is not taken, and a graceful stop leaves the checkpoint before it.
        var follower = try Follower(file, data)
        _ = try await Self.waitFor(data) { $0.trades == 1 }
        try await Task.sleep(for: .milliseconds(600))
        _ = try await follower.stop()
        #expect(try await Self.counts(data) == Counts(trades: 1, quarantined: 0, balanced: true, pending: 0))
        // The writer finishes the line; the next run takes it whole, once.
        try Self.append(file, String(lines[1].dropFirst(half)) + "\n")
        try await Self.drainRun(file, data)
        #expect(try await Self.counts(data) == Counts(trades: 2, quarantined: 0, balanced: true, pending: 0))
        // While followed: half a line, a pause longer than the polling, then the rest.
        follower = try Follower(file, data)
        try await Task.sleep(for: .milliseconds(500))
        try Self.append(file, String(lines[2].prefix(half)))
        try await Task.sleep(for: .milliseconds(800))
        try Self.append(file, String(lines[2].dropFirst(half)) + "\n")
        _ = try await Self.waitFor(data) { $0.trades == 3 }
        _ = try await follower.stop()
        #expect(try await Self.counts(data) == Counts(trades: 3, quarantined: 0, balanced: true, pending: 0))
    }

    /// `--drain` takes an unterminated last line as it is: a whole message is staged, a cut one is
    /// quarantined as `malformed` (as `tail`, Fluent Bit and Vector do at the end of input).
    @Test func drainTakesAnUnterminatedLastLineAsItIs() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        let lines = Self.lines(2, from: 0)
        try Self.write(file, lines, newline: false)
        try await Self.drainRun(file, data)
        #expect(try await Self.counts(data) == Counts(trades: 2, quarantined: 0, balanced: true, pending: 0))
        // Its newline comes later, and more lines: nothing is taken twice.
        try Self.append(file, "\n" + Self.lines(1, from: 5)[0] + "\n" + String(Self.lines(1, from: 6)[0].prefix(20)))
        try await Self.drainRun(file, data)
        #expect(try await Self.counts(data) == Counts(trades: 3, quarantined: 1, balanced: true, pending: 0))
        #expect(try await Self.quarantineReasons(data) == ["malformed": 1])
    }

    @Test func aByteOrderMarkAtTheStartIsSkipped() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        let text = "\u{FEFF}" + Self.lines(2, from: 0).joined(separator: "\r\n") + "\r\n"
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        try await Self.drainRun(file, data)
        #expect(try await Self.counts(data) == Counts(trades: 2, quarantined: 0, balanced: true, pending: 0))
    }

    // MARK: - Symbols a replay allows

    @Test func aReplayStoresAnyWellFormedSymbolWithoutSymbolsConfigured() async throws {
        let directory = try TemporaryDirectory()
        let (file, data) = (directory.file("f.ndjson"), directory.file("data"))
        try Self.write(
            file,
            [
                tradeMessage([trade("OANDA:XAU_USD", price: "2650.5"), trade("SHOP", price: "110.25")]),
                tradeMessage([trade("aapl!")]),
            ])
        try await Self.drainRun(file, data)
        #expect(try await Self.counts(data) == Counts(trades: 2, quarantined: 1, balanced: true, pending: 0))
        #expect(try await Self.quarantineReasons(data) == ["invalid_symbol": 1])
        let xau = try await runStockpipe(["query", "trades", "--symbol", "OANDA:XAU_USD", "--json", "--data-dir", data])
        #expect((try parseJSON(xau.stdout) as? [[String: Any]])?.count == 1)

        // Stage by stage (validate with no source in its process): the same.
        let separate = directory.file("separate")
        for command in [["ingest", "--once", "--source", "replay", "--file", file], ["validate", "--drain"], ["load", "--drain"]] {
            let result = try await runStockpipe(command + ["--data-dir", separate])
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        #expect(try await Self.counts(separate) == Counts(trades: 2, quarantined: 1, balanced: true, pending: 0))

        // Configured symbols still set the allow-list.
        let restricted = directory.file("restricted")
        try await Self.drainRun(file, restricted, ["--symbols", "SHOP"])
        #expect(try await Self.counts(restricted).trades == 1)
        #expect(try await Self.quarantineReasons(restricted)["symbol_not_allowed"] == 1)
    }

    @Test func eachSourceHasItsOwnDefaultAllowList() {
        var settings = Settings()
        #expect(settings.symbols == nil)
        #expect(settings.allowedSymbols(beside: .simulator) == Set(Simulator.defaultSymbols))
        #expect(settings.allowedSymbols(beside: .finnhub) == Set(Simulator.defaultSymbols), "the default subscription")
        #expect(settings.allowedSymbols(beside: .replay) == nil)
        #expect(settings.allowedSymbols(beside: nil) == nil)
        #expect(settings.simulatedSymbols == Simulator.defaultSymbols)
        settings.symbols = ["SHOP", "OANDA:XAU_USD"]
        let sources: [Settings.SourceKind?] = [.simulator, .finnhub, .replay, nil]
        for source in sources {
            #expect(settings.allowedSymbols(beside: source) == ["SHOP", "OANDA:XAU_USD"])
        }
        #expect(settings.subscribedSymbols == ["SHOP", "OANDA:XAU_USD"] && settings.simulatedSymbols == ["SHOP", "OANDA:XAU_USD"])
        settings.symbols = ["*"]
        for source in sources { #expect(settings.allowedSymbols(beside: source) == nil) }
        #expect(settings.simulatedSymbols == Simulator.defaultSymbols)
        // The redrive job's fingerprint follows the rules of the process it runs in.
        settings.symbols = nil
        #expect(settings.effectiveValidation(beside: .replay).fingerprint != settings.effectiveValidation(beside: .simulator).fingerprint)
    }

    // MARK: - The reader itself

    @Test func theMarkTellsAReplacedFileFromTheSameOne() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: ["one", "two", "three"])
        let source = try ReplaySource(path: file)
        var reader = try source.open(at: nil)
        _ = try await reader.next(maxMessages: 2)
        let (position, mark) = (reader.position, try #require(reader.mark))
        #expect(position == 8 && mark.headBytes == 8 && mark.generation == 0)
        var same = try source.open(at: position, mark: mark)
        #expect(try await same.next(maxMessages: 10)?.map(\.label) == ["@8"])
        // Same length, other bytes, same inode.
        try Self.write(file, ["uno", "dos", "three"])
        var rewritten = try source.open(at: position, mark: mark)
        let again = try await rewritten.next(maxMessages: 10) ?? []
        #expect(again.map { String(decoding: $0.bytes, as: UTF8.self) } == ["uno", "dos", "three"])
        #expect(again.map(\.label) == ["file2@0", "file2@4", "file2@8"], "labels of another file never repeat the old ones")
        #expect(rewritten.mark?.generation == 1)
    }
}
