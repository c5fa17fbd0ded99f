import ArgumentParser
import Foundation
import StockpipeCore
import StockpipePipeline
import StockpipeSources

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write simulated Finnhub WebSocket messages to an NDJSON file, for replay.",
        discussion: "The same options give the same file. Trades end at --start plus the span the rate implies; by "
            + "default they end shortly before now. Prints what was injected, by the reason validation will give. A replay allows any "
            + "symbol unless given --symbols, so symbol_not_allowed defects are injected only with --symbols (replay with the "
            + "same --symbols to have them quarantined).")

    @Option(help: ArgumentHelp("Output file.", valueName: "F")) var out: String
    @Option(parsing: .unconditional, help: ArgumentHelp("Records to write (trades, and malformed lines).", valueName: "N")) var count: Int
    @Option(help: ArgumentHelp("Comma-separated symbols (default: the simulator's twelve).", valueName: "A,B")) var symbols: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Seed.", valueName: "N")) var seed: UInt64 = 1
    @Option(name: .customLong("bad-fraction"), parsing: .unconditional, help: ArgumentHelp("Share of records with a defect (0...1).", valueName: "X"))
    var badFraction = 0.0
    @Option(parsing: .unconditional, help: ArgumentHelp("Trades per second of simulated time (above 0, at most 1000000).", valueName: "N"))
    var rate = 1_000.0
    @Option(help: ArgumentHelp("Time of the first trade: Unix ms, ISO 8601 or a date.", valueName: "T")) var start: String?
    @Flag(help: "Print the summary as JSON on stdout.") var json = false

    func run() async throws {
        guard count > 0 else { throw UserError("--count must be above 0") }
        guard (0...1).contains(badFraction) else { throw UserError("--bad-fraction must be between 0 and 1, not \(badFraction)") }
        guard rate > 0, rate <= 1_000_000 else { throw UserError("--rate must be above 0 and at most 1000000 trades per second, not \(rate)") }
        let symbolList =
            symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            ?? Simulator.defaultSymbols
        guard !symbolList.isEmpty else { throw UserError("--symbols is empty") }
        // The trades must end before 9999 and, without --start, begin after 1970.
        let spanMilliseconds = Double(count) / rate * 1000
        let given = try parseTime(start, flag: "--start")
        let room = given.map { TimeText.latest - $0 } ?? (WallClock.milliseconds() - 1_000)
        guard spanMilliseconds < Double(room) else {
            throw UserError("--count \(count) at --rate \(rate) spans more time than there is (1970 to 9999); raise --rate or lower --count")
        }
        // Trade times are a Poisson process: the real span differs from count / rate by about
        // √count / rate. Six of those more keep the last trade before now (else it would be
        // timestamp_in_future when replayed at once).
        let spread = (Double(count).squareRoot() / rate * 1000 * 6).rounded(.up)
        let span = Int64(spanMilliseconds)
        let first = given ?? WallClock.milliseconds() - span - Int64(min(spread, Double(room) - spanMilliseconds)) - 1_000
        var simulator = Simulator(
            .init(
                symbols: symbolList, seed: seed, rate: rate, start: first, badFraction: badFraction,
                allowListActive: symbols != nil))
        guard let file = fopen(out, "w") else {
            throw UserError("cannot write \(out): \(String(cString: strerror(errno))); check the directory exists and is writable")
        }
        var lines = 0
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        while simulator.records < count {
            for line in simulator.nextWindow(maxRecords: count - simulator.records) {
                buffer += line.bytes
                buffer.append(0x0A)
                lines += 1
            }
            if buffer.count > 1 << 20 || simulator.records >= count {
                guard fwrite(buffer, 1, buffer.count, file) == buffer.count else {
                    fclose(file)
                    throw UserError("writing \(out) failed: \(String(cString: strerror(errno)))")
                }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        guard fclose(file) == 0 else { throw UserError("writing \(out) failed: \(String(cString: strerror(errno)))") }
        let injected = simulator.injected
        if json {
            try printJSON(
                Summary(
                    file: out, records: simulator.records, lines: lines,
                    injected: Dictionary(uniqueKeysWithValues: injected.map { ($0.key.rawValue, $0.value) })))
        } else {
            let total = injected.values.reduce(0, +)
            print("wrote \(StatusReport.grouped(Int64(simulator.records))) records in \(StatusReport.grouped(Int64(lines))) lines to \(out)")
            if total > 0 {
                print(
                    "injected \(total) defects: "
                        + ReasonCode.allCases.compactMap { reason in
                            injected[reason].map { "\(reason.rawValue) \($0)" }
                        }.joined(separator: ", "))
            }
        }
    }
}

extension SimulateCommand {
    /// `simulate --json`: what was written, and the defects injected by reason (those injected only).
    struct Summary: Encodable {
        var file: String
        var records: Int
        var lines: Int
        var injected: [String: Int]
    }
}
