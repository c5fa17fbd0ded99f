import ArgumentParser
import Foundation
import StockpipeCore
import StockpipePipeline
import StockpipeSQLite

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the embedded log and store in the data directory for damage (SQLite's integrity_check).",
        discussion: "Prints one line per database: ok, or the problems found. Exits 0 when every database checked is sound, "
            + "1 when one is damaged or missing. Kafka and Cassandra are not checked here (the line says so); "
            + "the embedded parts are.")

    @OptionGroup var common: CommonOptions
    @Flag(help: "One JSON document on stdout.") var json = false

    struct Result {
        var name: String
        var file: String
        var problems: [String]
    }

    /// `check --json`.
    struct Document: Encodable {
        struct Database: Encodable {
            var name, file: String
            var ok: Bool
            var problems: [String]
        }

        struct Unchecked: Encodable {
            var name, reason: String
        }

        var dataDirectory: String
        var ok: Bool
        var databases: [Database]
        var unchecked: [Unchecked]

        init(dataDirectory: String, results: [Result], unchecked: [(name: String, reason: String)]) {
            self.dataDirectory = dataDirectory
            ok = results.allSatisfy(\.problems.isEmpty)
            databases = results.map { Database(name: $0.name, file: $0.file, ok: $0.problems.isEmpty, problems: $0.problems) }
            self.unchecked = unchecked.map { Unchecked(name: $0.name, reason: $0.reason) }
        }
    }

    func run() async throws {
        let settings = try common.settings()
        let directory = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL.path
        var files: [(name: String, file: String)] = []
        var unchecked: [(name: String, reason: String)] = []
        if settings.log == .embedded {
            files.append(("log", directory + "/log.sqlite"))
        } else {
            unchecked.append(
                (
                    "log",
                    "Kafka at \(settings.kafka.brokers ?? ""): not checked here (the brokers checksum every record batch; "
                        + "`stockpipe topics describe` shows the topics' state)"
                ))
        }
        if settings.store == .embedded {
            files.append(("store", directory + "/store.sqlite"))
        } else {
            unchecked.append(
                ("store", "Cassandra at \(settings.cassandra.contactPoints ?? ""): not checked here (run `nodetool verify` on each node)"))
        }
        try common.checkpoint(
            files.isEmpty
                ? "nothing to check: the log and the store are not in the data directory"
                : "check \(files.map(\.file).joined(separator: " and ")) with SQLite's integrity_check")
        if !files.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            throw UserError("no pipeline data in \(directory); point --data-dir at a data directory")
        }
        let results = files.map { name, file in
            Result(
                name: name, file: file,
                problems: FileManager.default.fileExists(atPath: file) ? Self.separate(SQLiteIntegrity.problems(path: file)) : ["missing"])
        }
        let sound = results.allSatisfy(\.problems.isEmpty)
        if json {
            try printJSON(Document(dataDirectory: directory, results: results, unchecked: unchecked))
        } else {
            for result in results {
                // One line per database, whatever SQLite found.
                let shown = result.problems.prefix(3).map(TerminalText.escaped).joined(separator: "; ")
                let capped = result.problems.count >= 20 ? "+" : ""  // integrity_check stops at 20
                let more = result.problems.count > 3 ? " … and \(result.problems.count - 3)\(capped) more" : ""
                print(
                    "\(result.name.padding(toLength: 6, withPad: " ", startingAt: 0))\(result.file): "
                        + (result.problems.isEmpty
                            ? "ok"
                            : result.problems == ["missing"]
                                ? "missing"
                                : "DAMAGED: "
                                    + (result.problems.count == 1
                                        ? shown
                                        : "\(result.problems.count)\(capped) problems: \(shown)\(more)"))
                )
            }
            for (name, reason) in unchecked {
                print("\(name.padding(toLength: 6, withPad: " ", startingAt: 0))\(reason)")
            }
        }
        if !sound { throw ExitCode.failure }
    }

    /// One problem per line: `integrity_check` can answer many problems in one row, a line each,
    /// under a `*** in database main ***` heading.
    static func separate(_ problems: [String]) -> [String] {
        problems.flatMap { $0.split(whereSeparator: \.isNewline) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !($0.hasPrefix("*** in database ") && $0.hasSuffix(" ***")) }
    }
}
