import CRdKafka
import Foundation
import StockpipeCore
import Testing

@testable import StockpipeKafka

/// A drain (`validate --drain`, `load --drain`) reads alone while its group has no members, so
/// that it does not wait for the group's first join (3 s); members and drains still never read
/// the same partition at once.
extension KafkaClientTests {
    @Test func aDrainReadsAloneWhileItsGroupIsEmptyAndAMemberReadsOnFromItsCommit() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 3)
        defer { cluster.close() }
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<300).map { record("staging", "K\($0 % 7)", "a\($0)") })
        let deadline = ContinuousClock.now + .seconds(60)

        let drain = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true)
        #expect(drain.readsAlone == nil)
        let drained = try await poll(drain, until: 300, deadline: deadline)
        #expect(drain.readsAlone == true)
        #expect(drained.count == 300)
        try await drain.commit(through: try #require(drained.last), state: ["K1": "state of K1"])
        #expect(try await drain.lag() == 0)
        await drain.close()

        // A member joins: it reads on from the drain's commit, with the state committed.
        try await producer.send((0..<50).map { record("staging", "K\($0 % 7)", "b\($0)") })
        let member = try KafkaConsumer(configuration, group: "g", topic: "staging")
        let after = try await poll(member, until: 50, deadline: deadline)
        #expect(member.readsAlone == false)
        #expect(after.map { String(decoding: $0.value, as: UTF8.self) }.sorted() == (0..<50).map { "b\($0)" }.sorted())
        #expect(member.takeResumedState() == ["K1": "state of K1"])

        // While the group has a member, a drain joins it instead of reading alone.
        let joining = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true)
        _ = try await joining.poll(maxRecords: 10, timeout: .milliseconds(200))
        #expect(joining.readsAlone == false)
        await joining.close()
        await member.close()
        await producer.close()
    }

    @Test func aDrainThatAMemberJoinsStopsAtItsLastCommitAndLosesNothing() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 3)
        defer { cluster.close() }
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<200).map { record("staging", "K\($0 % 7)", "v\($0)") })
        let deadline = ContinuousClock.now + .seconds(60)

        // The drain commits its first 120 records, and has 80 more in hand when a member joins.
        let drain = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true)
        func take(_ count: Int) async throws -> [ConsumedRecord] {
            var taken: [ConsumedRecord] = []
            while taken.count < count && ContinuousClock.now < deadline {
                taken += try await drain.poll(maxRecords: count - taken.count, timeout: .milliseconds(200))
            }
            return taken
        }
        let first = try await take(120)
        try #require(drain.readsAlone == true && first.count == 120)
        try await drain.commit(through: try #require(first.last), state: nil)
        let inHand = try await take(80)
        try #require(inHand.count == 80)

        let member = try KafkaConsumer(configuration, group: "g", topic: "staging")
        // The member's first poll joins; it is in the group once it has its assignment.
        var taken: [ConsumedRecord] = []
        while !member.tracker.hasBeenAssigned && ContinuousClock.now < deadline {
            taken += try await member.poll(maxRecords: 500, timeout: .milliseconds(200))
        }
        try #require(member.tracker.hasBeenAssigned)
        await #expect {
            try await drain.commit(through: try #require(inHand.last), state: nil)
        } throws: { error in
            (error as? KafkaError)?.message.contains("gained a member while this drain read staging alone") == true
        }
        await drain.close()

        taken += try await poll(member, until: 80 - taken.count, deadline: deadline)
        let expected = Set(inHand.map { String(decoding: $0.value, as: UTF8.self) })
        #expect(Set(taken.map { String(decoding: $0.value, as: UTF8.self) }) == expected)
        await member.close()
        await producer.close()
    }

    @Test func twoDrainsStartedAtOnceReadOneAfterTheOther() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 3)
        defer { cluster.close() }
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<300).map { record("staging", "K\($0 % 7)", "a\($0)") })
        let deadline = ContinuousClock.now + .seconds(60)

        let first = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true, claimLease: .seconds(3))
        let second = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true, claimLease: .seconds(3))
        let firstRead = try await poll(first, until: 300, deadline: deadline)
        #expect(first.readsAlone == true)
        // The second waits for the claim while the first holds it, past a whole lease.
        let waiting = Task { try await poll(second, until: 50, deadline: deadline) }
        try await Task.sleep(for: .seconds(4))
        #expect(second.readsAlone == nil, "the second drain read while the first held the claim")
        try await first.commit(through: try #require(firstRead.last), state: nil)
        await first.close()
        try await producer.send((0..<50).map { record("staging", "K\($0 % 7)", "b\($0)") })
        let secondRead = try await waiting.value
        #expect(second.readsAlone == true)
        #expect(secondRead.map { String(decoding: $0.value, as: UTF8.self) }.sorted() == (0..<50).map { "b\($0)" }.sorted())
        await second.close()
        await producer.close()
    }

    @Test func aDrainThatDiedHoldingTheClaimIsTakenOverAfterTheLease() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 3)
        defer { cluster.close() }
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<100).map { record("staging", "K\($0 % 7)", "a\($0)") })
        let deadline = ContinuousClock.now + .seconds(60)

        let dead = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true, claimLease: .seconds(3))
        let read = try await poll(dead, until: 100, deadline: deadline)
        try await dead.commit(through: try #require(read.last), state: nil)
        let claim = try #require(dead.drainClaim.withLock { $0 })
        claim.abandon()  // no renewals, and the register left as it was: as if killed
        try await producer.send((0..<20).map { record("staging", "K\($0 % 7)", "b\($0)") })

        let next = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true, claimLease: .seconds(3))
        let started = ContinuousClock.now
        let after = try await poll(next, until: 20, deadline: deadline)
        #expect(next.readsAlone == true)
        #expect(ContinuousClock.now - started >= .seconds(2), "the claim was taken before the lease ran out")
        #expect(after.map { String(decoding: $0.value, as: UTF8.self) }.sorted() == (0..<20).map { "b\($0)" }.sorted())
        // The one that lost it may not publish any more.
        #expect(throws: KafkaError.self) { try dead.checkClaim() }
        await next.close()
        await dead.close()
        await producer.close()
    }

    /// A holder that finds another drain's value in the register gives the claim up, and does not
    /// erase that value when it closes.
    @Test func aHolderThatFindsAnotherValueInTheRegisterGivesTheClaimUp() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 1)
        defer { cluster.close() }
        let claim = try KafkaClaim.drain(configuration, group: "g", topic: "staging", lease: .seconds(3))
        var step = KafkaClaim.Step.waiting
        for _ in 0..<10 where step == .waiting { step = claim.step() }
        try #require(step == .held && claim.isHeld)

        let other = try GroupOffsets.client(configuration, group: KafkaClaim.drainGroup("g"))
        defer { rd_kafka_destroy(other.pointer) }
        let theirs = Array("another drain".utf8)
        try KafkaOffsets.commitMetadata(other, theirs, topic: "staging", partition: 0, group: KafkaClaim.drainGroup("g"))
        let deadline = ContinuousClock.now + .seconds(2)
        while claim.isHeld && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!claim.isHeld)
        claim.release()
        let register = try KafkaOffsets.committed(
            other, topic: "staging", partitions: 1, group: KafkaClaim.drainGroup("g"), timeoutMilliseconds: 5_000)
        #expect(register[0]?.metadata == theirs)
    }

    /// A claim written too slowly to be trusted used to be waited out a whole lease, ten times over,
    /// before the drain joined its group; now the drain joins at once.
    @Test func aDrainWhoseClaimIsWrittenTooSlowlyJoinsItsGroup() async throws {
        let (cluster, configuration) = try stagingCluster(partitions: 3)
        defer { cluster.close() }
        let producer = try KafkaProducer(configuration)
        try await producer.send((0..<100).map { record("staging", "K\($0 % 7)", "a\($0)") })
        for broker: Int32 in 1...3 { cluster.setRoundTrip(broker: broker, milliseconds: 400) }
        let drain = try KafkaConsumer(configuration, group: "g", topic: "staging", draining: true)
        let read = try await poll(drain, until: 100, deadline: ContinuousClock.now + .seconds(40))
        #expect(drain.readsAlone == false)
        #expect(read.count == 100)
        await drain.close()
        await producer.close()
    }
}
