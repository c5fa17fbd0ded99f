import Foundation
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import Testing

/// Random and edge-case feed lines through ingest, validate and load in this process: nothing may
/// crash, and every record must end stored or quarantined. The seed is fixed so that a failure is
/// repeatable; `scripts/fuzz.sh` runs many more seeds and lines (FUZZ_SEED, _LINES).
@Suite("Fuzzing the pipeline", .timeLimit(.minutes(5)))
struct FuzzTests {
    @Test func randomAndEdgeCaseLinesNeitherCrashNorGoMissing() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_204
        let count = environment["FUZZ_LINES"].flatMap { Int($0) } ?? 2_500
        var generator = FeedFuzzer(seed: seed, now: Int64(Date().timeIntervalSince1970 * 1000))
        var bytes: [UInt8] = []
        for _ in 0..<count {
            bytes += generator.line()
            bytes.append(UInt8(ascii: "\n"))
        }
        let directory = try TemporaryDirectory()
        let file = directory.file("fuzz.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let report = try await drain(replaySettings(file: file, dataDirectory: directory.file("data")))
        #expect(report.pending == 0)
        #expect(report.balanced, "seed \(seed): staged \(report.staged), stored \(report.store.trades), quarantined \(report.store.quarantined)")
        #expect(report.staged == report.store.trades + report.store.quarantined, "seed \(seed)")
        #expect(report.store.trades > 0 && report.store.quarantined > 0, "the input mixes good and bad records")
    }
}

/// Lines of the shape a Finnhub feed, a broken writer or an attacker could produce.
struct FeedFuzzer {
    var state: UInt64
    let now: Int64

    init(seed: UInt64, now: Int64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        self.now = now
    }

    mutating func next() -> UInt64 {
        // xorshift64*: small, and the same sequence everywhere.
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    static let edgeNumbers = [
        "0", "-0", "1", "-1", "187.5", "1e308", "1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "1e-320",
        "2.2250738585072014e-308", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "18446744073709551616", "1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1.5", "0.1", "1e12", "1e9", "1e-9",
        "123456789012345678901234567890", "1E+2", "1e", "-", "01", "1.", ".5", "0x10", "1_000", "true", "null", "\"1\"", "[]", "{}",
    ]

    mutating func number() -> String {
        below(3) == 0 ? Self.edgeNumbers[below(Self.edgeNumbers.count)] : String(Double(below(1_000_000)) / 100)
    }

    mutating func timestamp() -> String {
        switch below(6) {
        case 0: return pick(Self.edgeNumbers)
        case 1: return String(now + Int64(below(10 * 86_400_000)) - 5 * 86_400_000)
        default: return String(now - Int64(below(60_000)))
        }
    }

    mutating func string() -> String {
        switch below(8) {
        case 0: return #""""#
        case 1: return "\"" + String(repeating: "A", count: below(100) == 0 ? below(100_000) : below(100)) + "\""
        case 2: return #""\u0000\u001b[31m\n\ud800\udfff\ud800""#
        case 3: return #""ÄÖÜ😀 MARKETS:1""#
        case 4: return pick(Self.edgeNumbers)
        default: return "\"" + pick(["AAPL", "MSFT", "BRK.B", "BINANCE:BTCUSDT", "OANDA:EUR_USD", "IC MARKETS:1", "aapl"]) + "\""
        }
    }

    mutating func trade() -> String {
        var fields: [String] = []
        if below(10) != 0 { fields.append(#""s":"# + string()) }
        if below(10) != 0 { fields.append(#""p":"# + number()) }
        if below(10) != 0 { fields.append(#""t":"# + timestamp()) }
        if below(10) != 0 { fields.append(#""v":"# + number()) }
        if below(3) == 0 { fields.append(#""c":"# + pick([#"["1","12"]"#, "null", "[1,2]", "[null]", #""x""#, "[[]]"])) }
        if below(20) == 0 { fields.append(#""s":"AAPL""#) }  // a repeated key
        return "{" + fields.joined(separator: ",") + "}"
    }

    mutating func line() -> [UInt8] {
        switch below(20) {
        case 0: return Array(#"{"type":"ping"}"#.utf8)
        case 1:
            if below(20) == 0 { return Array(#"{"type":"error","msg":"\u001b[2J\nforged"}"#.utf8) }
            // Over the 1 MiB a line may have: quarantined by its beginning.
            if below(20) == 0 {
                return Array(#"{"type":"trade","data":[{"s":"AAPL","x":""#.utf8) + [UInt8](repeating: 65, count: 1 << 20 + below(1000))
            }
            return Array(#"{"type":"ping","extra":[1,{"a":null}]}"#.utf8)
        case 2: return Array(String(repeating: "[", count: 1 + below(100_000)).utf8)
        case 3: return Array(#"{"type":"trade","data":"#.utf8) + Array(String(repeating: "{\"a\":", count: below(50_000)).utf8)
        case 4: return [0xFF, 0xFE, 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D] + (0..<below(64)).map { _ in UInt8(truncatingIfNeeded: next()) }
        case 5:
            let trades = (0..<(1 + (below(10) == 0 ? below(3_000) : below(100)))).map { _ in trade() }
            return Array(#"{"type":"trade","data":["#.utf8) + Array(trades.joined(separator: ",").utf8) + Array("]}".utf8)
        case 6: return Array(#"{"type":"trade","data":[{"s":"AAPL","p":1,"t":1,"v":1}]"#.utf8)  // cut short
        case 7: return Array(#"{"data":null,"type":"trade"}"#.utf8)
        case 8: return Array(#"{"type":"trade","data":[1,"x",null,[],{}]}"#.utf8)
        case 9: return Array("\u{FEFF}".utf8) + Array(#"{"type":"ping"}"#.utf8)
        default:
            let trades = (0..<(1 + below(5))).map { _ in trade() }
            return Array(#"{"data":["#.utf8) + Array(trades.joined(separator: ",").utf8) + Array(#"],"type":"trade"}"#.utf8)
        }
    }
}
