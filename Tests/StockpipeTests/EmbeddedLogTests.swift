import Foundation
import GRDB
import StockpipeCore
import StockpipeSQLite
import Synchronization
import Testing

@Suite("Embedded log", .timeLimit(.minutes(5)))
struct EmbeddedLogTests {
    func record(_ topic: String, _ value: String, source: String = "") -> OutgoingRecord {
        OutgoingRecord(
            topic: topic, key: "AAPL", value: Array(value.utf8), headers: [RecordHeader(Header.source, source)],
            timestamp: 42)
    }

    @Test func publishesAndResumesAfterReopening() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("log.sqlite")
        do {
            let log = try EmbeddedLog(.init(path: path))
            let source = try await log.source(name: "test")
            #expect(source.checkpoint == nil)
            let records = (0..<10_000).map { record(Topic.staging, "v\($0)", source: "test:@\($0)") }
            try await source.commit(publishing: records, checkpoint: SourceCheckpoint(position: 10_000, state: Array("{}".utf8)))
            await source.close()
            let consumer = try await log.consumer(group: "validate", topic: Topic.staging)
            let first = try await consumer.poll(maxRecords: 3, timeout: .seconds(1))
            #expect(first.map { String(decoding: $0.value, as: UTF8.self) } == ["v0", "v1", "v2"])
            #expect(first.map(\.offset) == [0, 1, 2])
            #expect(first[2].headers[header: Header.source] == "test:@2")
            try await consumer.commit(publishing: [record(Topic.stockData, "out")], through: first.last, state: ["AAPL": "s1"])
            #expect(try await consumer.lag() == 9_997)
            await consumer.close()
            try await log.close()
        }
        let reopened = try EmbeddedLog(.init(path: path))
        let consumer = try await reopened.consumer(group: "validate", topic: Topic.staging)
        #expect(await consumer.takeResumedState() == ["AAPL": "s1"])
        #expect(await consumer.takeResumedState() == [:])
        let next = try await consumer.poll(maxRecords: 2, timeout: .seconds(1))
        #expect(next.first?.offset == 3)
        let source = try await reopened.source(name: "test")
        #expect(source.checkpoint?.position == 10_000)
        let status = try await reopened.status()
        #expect(status.topics.first { $0.name == Topic.stockData }?.appended == 1)
        #expect(status.groups.first { $0.group == "validate" }?.lag == 9_997)
        await consumer.close()
        await source.close()
        try await reopened.close()
    }

    @Test func aGroupIsHeldByOneConsumerAtATime() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedLog(.init(path: directory.file("log.sqlite")))
        let second = try EmbeddedLog(.init(path: directory.file("log.sqlite")))  // another "process"
        let first = try await log.consumer(group: "load", topic: Topic.stockData)
        let acquired = Mutex(false)
        let waiting = Task {
            let consumer = try await second.consumer(group: "load", topic: Topic.stockData)
            acquired.withLock { $0 = true }
            return consumer
        }
        let asleep = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(1_200))
        // A lease lives 10 s past its holder's last heartbeat (every 2 s). When the machine was so
        // busy that this 1.2 s sleep took 8 s or more, the heartbeat may have waited as long, and the
        // lease rightly went to the other consumer: a frozen holder loses it. (Seen in a full run on
        // 2 cores, whose first 20 s leave no thread free.)
        if ContinuousClock.now - asleep < .seconds(8) {
            #expect(!acquired.withLock { $0 }, "a second consumer joined a group that was held")
        }
        await first.close()
        let taken = try await waiting.value
        await taken.close()
        try await log.close()
        try await second.close()
    }

    @Test func aConsumerThatLostItsLeaseCannotCommit() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("log.sqlite")
        let log = try EmbeddedLog(.init(path: path))
        let consumer = try await log.consumer(group: "validate", topic: Topic.staging)
        // Another process takes the lease over, as it would after this one stopped heartbeating.
        let other = try DatabaseQueue(path: path)
        try await other.write { db in
            try db.execute(
                sql: "UPDATE leases SET owner = 'another process', generation = generation + 1 WHERE name = ?",
                arguments: ["group validate on staging"])
        }
        await #expect(throws: LogError.self) {
            try await consumer.commit(publishing: [self.record(Topic.stockData, "x")], through: nil, state: nil)
        }
        #expect(try await log.status().topics.first { $0.name == Topic.stockData }?.appended == 0)
        try await log.close()
        try other.close()
    }

    @Test func retentionRemovesOldBatches() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedLog(.init(path: directory.file("log.sqlite"), retention: [Topic.staging: 1_000]))
        let source = try await log.source(name: "test")
        try await source.commit(publishing: [record(Topic.staging, "old")], checkpoint: SourceCheckpoint(position: 1, state: []))
        let removed = try await log.enforceRetention(now: Int64(Date().timeIntervalSince1970 * 1000) + 5_000)
        #expect(removed == 1)
        let status = try await log.status()
        #expect(status.topics.first { $0.name == Topic.staging }.map { ($0.appended, $0.retained) } ?? (0, 0) == (1, 0))
        await source.close()
        try await log.close()
    }

    /// Everything `consumer` gives until it has read `count` records.
    func readAll(_ consumer: any LogConsumer, count: Int, maxRecords: Int = 1_000) async throws -> [ConsumedRecord] {
        var records: [ConsumedRecord] = []
        while records.count < count {
            let polled = try await consumer.poll(maxRecords: maxRecords, timeout: .seconds(2))
            if polled.isEmpty { break }
            records += polled
        }
        return records
    }

    func sameRecords(_ left: [ConsumedRecord], _ right: [ConsumedRecord]) -> Bool {
        left.count == right.count
            && zip(left, right).allSatisfy {
                ($0.topic, $0.partition, $0.offset, $0.key, $0.value, $0.timestamp) == (
                    $1.topic, $1.partition, $1.offset, $1.key, $1.value, $1.timestamp
                )
                    && $0.headers == $1.headers
            }
    }

    /// A consumer gets the batches its own process has just committed from memory; what it gets
    /// must be what the file holds, whoever else writes to the topic in between and however the
    /// commits are cut.
    @Test func aConsumerInTheWritingProcessGetsWhatTheFileHolds() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("log.sqlite")
        let log = try EmbeddedLog(.init(path: path))
        let other = try EmbeddedLog(.init(path: path))  // another process writing the same topic
        let consumer = try await log.consumer(group: "validate", topic: Topic.staging)
        let source = try await log.source(name: "here")
        let otherSource = try await other.source(name: "there")
        var received: [ConsumedRecord] = []
        // Only a record handed over in memory carries its trade.
        let marker = Trade(symbol: "M", price: 1, volume: 1, timestamp: 1, conditions: [], id: TradeID(high: 0, low: 0))
        // One record; 5,000 (two batches in the file); a commit to two topics; exactly one batch.
        for (round, count) in [1, 5_000, 300, 17, 4_096, 2].enumerated() {
            let records = (0..<count).map { index in
                OutgoingRecord(
                    topic: Topic.staging, key: "K\(index % 7)", value: Array("r\(round)-\(index)".utf8),
                    headers: [RecordHeader(kind: .trade), RecordHeader(Header.source, "here:\(round)#\(index)")]
                        + (index % 3 == 0 ? [RecordHeader(Header.occurrence, "\(index)")] : []),
                    timestamp: Int64(round * 1_000 + index), trade: marker)
            }
            let extra = round == 2 ? [record(Topic.badStockData, "elsewhere")] : []
            try await source.commit(publishing: records + extra, checkpoint: SourceCheckpoint(position: Int64(round), state: []))
            if round % 2 == 1 {
                try await otherSource.commit(
                    publishing: [record(Topic.staging, "there\(round)", source: "there:\(round)")],
                    checkpoint: SourceCheckpoint(position: Int64(round), state: []))
            }
            if round == 1 || round == 3 {
                // Part way, so that later reads start inside a batch held in memory.
                let early = try await consumer.poll(maxRecords: 2_500, timeout: .seconds(1))
                #expect(early.count == 2_500 || round == 3)
                try await consumer.commit(publishing: [], through: early.last, state: nil)
                received += early
            }
        }
        let end = try await log.status().topics.first { $0.name == Topic.staging }!.appended
        received += try await readAll(consumer, count: Int(end) - received.count)
        let check = try EmbeddedLog(.init(path: path))  // a process that only reads the file
        let fromFile = try await readAll(try await check.consumer(group: "check", topic: Topic.staging), count: Int(end))
        #expect(received.map(\.offset) == Array(0..<end))
        #expect(sameRecords(received, fromFile))
        #expect(received.contains { $0.headers[header: Header.source] == "there:5" })
        let handedOver = received.filter { $0.trade != nil }.map(\.offset)
        let ours = received.filter { $0.headers[header: Header.source]?.hasPrefix("here:") == true }.map(\.offset)
        // Up to the first record of the other process, everything came from memory; a read from
        // the file then takes whole batches, ours too. Nothing of the other process came from memory.
        #expect(Set(0...5_000).isSubset(of: handedOver), "\(Set(0...5_000).subtracting(handedOver).count) read from the file")
        #expect(Set(handedOver).isSubset(of: ours))
        #expect(fromFile.allSatisfy { $0.trade == nil })
        await consumer.close()
        await source.close()
        await otherSource.close()
        for log in [log, other, check] { try await log.close() }
    }

    /// A member that takes over a group resumes after the last committed record, also when that
    /// is in the middle of a batch still held in memory for another group.
    @Test func aConsumerResumingInsideABatchHeldInMemoryStartsAfterItsPosition() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedLog(.init(path: directory.file("log.sqlite")))
        let keeper = try await log.consumer(group: "audit", topic: Topic.staging)  // keeps the batches in memory
        let first = try await log.consumer(group: "validate", topic: Topic.staging)
        let source = try await log.source(name: "here")
        let marker = Trade(symbol: "M", price: 1, volume: 1, timestamp: 1, conditions: [], id: TradeID(high: 0, low: 0))
        let records = (0..<3_000).map { index in
            OutgoingRecord(
                topic: Topic.staging, key: "", value: Array("v\(index)".utf8), headers: [], timestamp: 1, trade: marker)
        }
        try await source.commit(publishing: records, checkpoint: SourceCheckpoint(position: 1, state: []))
        let polled = try await first.poll(maxRecords: 1_234, timeout: .seconds(1))
        #expect(polled.count == 1_234)
        try await first.commit(publishing: [], through: polled.last, state: nil)
        await first.close()
        let second = try await log.consumer(group: "validate", topic: Topic.staging)
        let rest = try await readAll(second, count: 3_000 - 1_234)
        #expect(rest.map(\.offset) == Array(1_234..<3_000))
        #expect(rest.map { String(decoding: $0.value, as: UTF8.self) } == (1_234..<3_000).map { "v\($0)" })
        #expect(rest.allSatisfy { $0.trade != nil }, "read from memory")
        await second.close()
        await keeper.close()
        await source.close()
        try await log.close()
    }

    /// A consumer far behind finds its records in the file once memory holds no more of them.
    @Test func aSlowConsumerReadsPastWhatMemoryKeeps() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedLog(.init(path: directory.file("log.sqlite")))
        let consumer = try await log.consumer(group: "validate", topic: Topic.staging)
        let source = try await log.source(name: "big")
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 2_000)
        let total = 40_000  // about 90 MB as kept, over the bound
        for batch in 0..<(total / 4_000) {
            let records = (0..<4_000).map { index in
                OutgoingRecord(
                    topic: Topic.staging, key: "", value: value + Array("\(batch * 4_000 + index)".utf8),
                    headers: [RecordHeader(Header.source, "big#\(batch * 4_000 + index)")], timestamp: 1)
            }
            try await source.commit(publishing: records, checkpoint: SourceCheckpoint(position: Int64(batch), state: []))
        }
        let read = try await readAll(consumer, count: total, maxRecords: 4_096)
        #expect(read.map(\.offset) == Array(0..<Int64(total)))
        #expect(read.allSatisfy { String(decoding: $0.value.dropFirst(2_000), as: UTF8.self) == "\($0.offset)" })
        #expect(read.allSatisfy { $0.headers[header: Header.source] == "big#\($0.offset)" })
        await consumer.close()
        await source.close()
        try await log.close()
    }

    /// The trade a stage publishes with a record reaches a consumer in the same process, and no other.
    @Test func aTradeHandedOverInMemoryIsTheOneItsValueReadsAs() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("log.sqlite")
        let log = try EmbeddedLog(.init(path: path))
        let consumer = try await log.consumer(group: "load", topic: Topic.stockData)
        let source = try await log.source(name: "validated")
        let trades = [
            Trade(symbol: "AAPL", price: 189.5, volume: -0.0, timestamp: 1, conditions: [], id: TradeID(high: 1, low: 2)),
            Trade(symbol: "BINANCE:BTCUSDT", price: 1e-6, volume: 0.07596, timestamp: 2, conditions: ["é\"\\\n"], id: TradeID(high: 3, low: 4)),
            Trade(
                symbol: "X", price: 9.999e11, volume: 1e15 + 1, timestamp: 4_102_444_800_000, conditions: ["1", "12"], id: TradeID(high: .max, low: 0)
            ),
        ]
        let records = trades.map {
            OutgoingRecord(topic: Topic.stockData, key: $0.symbol, value: $0.json(), headers: [], timestamp: 3, trade: $0.asWritten)
        }
        try await source.commit(publishing: records, checkpoint: SourceCheckpoint(position: 1, state: []))
        let received = try await readAll(consumer, count: trades.count)
        #expect(received.count == trades.count)
        for record in received {
            #expect(record.trade != nil)
            #expect(try record.trade == Trade(json: record.value))
        }
        let elsewhere = try EmbeddedLog(.init(path: path))
        let fromFile = try await readAll(try await elsewhere.consumer(group: "other", topic: Topic.stockData), count: trades.count)
        #expect(fromFile.count == trades.count && fromFile.allSatisfy { $0.trade == nil })
        await consumer.close()
        await source.close()
        try await log.close()
        try await elsewhere.close()
    }
}
