import StockpipeCore

/// A group member that publishes through the shared producer, then commits.
final class KafkaLogConsumer: LogConsumer {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let chain = CommitChain()

    init(consumer: KafkaConsumer, producer: KafkaProducer) {
        self.consumer = consumer
        self.producer = producer
    }

    func takeResumedState() async -> KeyedState { consumer.takeResumedState() }

    func poll(maxRecords: Int, timeout: Duration) async throws -> [ConsumedRecord] {
        try await consumer.poll(maxRecords: maxRecords, timeout: timeout)
    }

    /// Publishes what was not published already (after a restart, some outputs of the records
    /// read again may stand: see ``PublishedLedger``), then commits with the output positions.
    func commit(publishing records: [OutgoingRecord], through last: ConsumedRecord?, state: KeyedState?) async throws {
        try consumer.checkClaim()
        let (unpublished, held) = consumer.tracker.unpublished(records)
        let delivery = await producer.enqueue(unpublished)
        guard let last else {
            try await chain.append(delivering: { try await delivery.wait() })
            return
        }
        try await chain.append(
            delivering: { [consumer] in
                try await delivery.wait()
                consumer.tracker.delivered(delivery.ends())
            },
            committing: { [consumer] in
                try consumer.checkClaim()  // a drain that lost it while its outputs went out commits nothing
                try await consumer.commit(through: last, state: state, held: held)
            })
    }

    /// Waits for the commits so far, then commits again what a rebalance refused.
    func flush() async throws {
        try await chain.flush()
        try await consumer.commitAgain()
    }

    func pause() async { await consumer.pause() }
    func resume() async { await consumer.resume() }

    func lag() async throws -> Int64 { try await consumer.lag() }

    /// After the commits under way, which use the consumer (a stage that failed may leave some).
    func close() async {
        try? await chain.flush()
        await consumer.close()
    }
}
