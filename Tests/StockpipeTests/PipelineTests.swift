import Foundation
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import StockpipeSQLite
import StockpipeSources
import Testing

@Suite("Embedded pipeline end to end", .timeLimit(.minutes(5)))
struct PipelineTests {
    @Test func simulatedDefectsAreQuarantinedExactlyAsInjected() async throws {
        let directory = try TemporaryDirectory()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var simulator = Simulator(.init(seed: 7, rate: 1_000, start: now - 30_000, badFraction: 0.05))
        var lines: [String] = []
        while simulator.records < 20_000 {
            lines += simulator.nextWindow(maxRecords: 20_000 - simulator.records).map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        let file = try directory.write("sim.ndjson", lines: lines)
        var settings = replaySettings(file: file, dataDirectory: directory.file("data"), symbols: Simulator.defaultSymbols)
        settings.batchSize = 997  // batches that do not line up with messages
        let report = try await drain(settings)
        #expect(report.balanced)
        #expect(report.pending == 0)
        #expect(report.staged == 20_000)
        #expect(report.store.trades + report.store.quarantined == 20_000)
        let injected = simulator.injected
        #expect(Set(injected.keys) == Set(ReasonCode.tradeReasons), "every trade defect is injected")
        for reason in ReasonCode.tradeReasons {
            #expect(report.store.quarantineByReason[reason, default: 0] == Int64(injected[reason, default: 0]), "\(reason)")
        }
    }

    @Test func theSameMessageTwiceIsStoredOnceAndIdenticalTradesInOneMessageTwice() async throws {
        let directory = try TemporaryDirectory()
        let twins = tradeMessage([trade("AAPL", price: "150"), trade("AAPL", price: "150"), trade("MSFT", price: "410.5")])
        let file = try directory.write("f.ndjson", lines: [twins, twins])
        let report = try await drain(replaySettings(file: file, dataDirectory: directory.file("data")))
        #expect(report.store.trades == 3)
        #expect(report.store.quarantineByReason == [.duplicate: 3])
        #expect(report.balanced)
        let stored = try await withBackends(directory.file("data")) { try await $0.store.trades(symbol: "AAPL", from: nil, to: nil, limit: 10) }
        #expect(stored.count == 2)
        #expect(stored[0].price == 150 && stored[0].id != stored[1].id)
    }

    @Test func badLinesAreQuarantinedAndTheRunGoesOn() async throws {
        let directory = try TemporaryDirectory()
        let oversized = #"{"type":"trade","data":[{"s":"AAPL","p":1,"t":1,"v":1,"pad":""# + String(repeating: "x", count: 2 << 20) + #""}]}"#
        let file = try directory.write(
            "f.ndjson",
            lines: [
                tradeMessage([trade("AAPL")]),
                "this is not json",
                #"{"type":"ping"}"#,
                #"{"type":"error","msg":"Subscribing to too many symbols"}"#,
                #"{"type":"news","data":[]}"#,
                oversized,
                #"{"data":[],"type":"trade"}"#,
                tradeMessage([trade("MSFT"), #"{"s":"MSFT","p":"oops"}"#]) + "\r",
                "",
                #"{"data":[{"s":"NVDA","p":140,"t":1,"v":1}"#,
            ])
        let report = try await drain(replaySettings(file: file, dataDirectory: directory.file("data")))
        #expect(report.store.trades == 2)
        #expect(report.store.quarantineByReason[.malformed] == 4)
        #expect(report.store.quarantineByReason[.wrongType] == 1)
        #expect(report.store.quarantineByReason[.missingField] == 1)
        let source = try #require(report.sources.first)
        #expect(source.counters.pings == 1 && source.counters.errors == 1 && source.counters.empty == 1)
        #expect(report.balanced)
        let cut = try await withBackends(directory.file("data")) { try await $0.store.quarantine(reason: .malformed, limit: 10) }
            .first { $0.origin.originalSize != nil }
        let truncated = try #require(cut)
        #expect(truncated.payload.count == ReplaySource.keptPrefixBytes)
        #expect(truncated.origin.originalSize == oversized.utf8.count)
    }

    @Test func replayingTheQuarantineAfterARuleChangeStoresWhatNowPasses() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: [tradeMessage([trade("AAPL"), trade("TSLA"), trade("TSLA", price: "-1")])])
        var settings = replaySettings(file: file, dataDirectory: directory.file("data"), symbols: ["AAPL"])
        var report = try await drain(settings)
        #expect(report.store.trades == 1)
        #expect(report.store.quarantineByReason == [.symbolNotAllowed: 2, .nonPositivePrice: 1])
        settings.symbols = ["AAPL", "TSLA"]
        let restaged = try await withBackends(directory.file("data")) {
            try await QuarantineReplay.restage($0, reason: .symbolNotAllowed)
        }
        #expect(restaged == 2)
        report = try await drain(settings)
        #expect(report.store.trades == 2)
        #expect(report.store.quarantineByReason == [.nonPositivePrice: 1])
        #expect(report.redriven == 2)
        #expect(report.balanced)
    }

    @Test func aReplayFileIsNotIngestedTwice() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: [tradeMessage([trade("AAPL"), trade("MSFT")])])
        let settings = replaySettings(file: file, dataDirectory: directory.file("data"))
        try await drain(settings)
        let again = try await drain(settings)
        #expect(again.staged == 2)
        #expect(again.store.trades == 2 && again.store.quarantined == 0)
    }
}
