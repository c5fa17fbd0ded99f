import ServiceLifecycle
import StockpipeCore

/// The loop of a stage that consumes a topic (validate reads `staging`, load `stock_data` and
/// `bad_stock_data`): the stage says only what it does with each batch.
///
/// Each time round it beats, waits while the stage after it is far behind (``Backpressure``; the
/// consumer is paused meanwhile, so it stays in its group), and polls. A batch goes to the stage,
/// which returns the write that publishes or stores its outputs and then commits its position; the
/// writes go through a ``CommitPipeline``, so the next batch is prepared while the last is written,
/// and positions are committed in order, each after its outputs. An empty poll lets the last write
/// finish and the commits complete; when draining, it ends the loop once the stage upstream has
/// finished and nothing is left on the topic.
struct ConsumerLoop {
    /// Publishes or stores a batch's outputs, then commits its position.
    typealias Write = @Sendable () async throws -> Void

    let stage: PipelineStage
    let topic: String
    let group: String
    /// Records asked for by each poll.
    let maxRecords: Int
    let drain: DrainCoordinator?
    let metrics: PipelineMetrics
    var backpressure: Backpressure? = nil

    /// How long a poll waits for records.
    static let pollTimeout = Duration.milliseconds(200)

    /// The stage whose end, once the topic is empty, ends a drain.
    var upstream: PipelineStage {
        PipelineStage.upstream(of: [stage]).last ?? stage
    }

    /// Polls `consumer` once, as the loop does.
    func poll(_ consumer: any LogConsumer) async throws -> [ConsumedRecord] {
        try await consumer.poll(maxRecords: maxRecords, timeout: Self.pollTimeout)
    }

    /// Runs until shut down, cancelled or, when draining, done. `state` is made once the consumer
    /// has joined its group and goes to each call of `batch`, which handles one poll's records
    /// (and may poll `consumer` for more) and returns their write.
    func run<State: ~Copyable>(
        on log: any Log, state makeState: () throws -> State,
        batch: (inout State, [ConsumedRecord], any LogConsumer) async throws -> Write
    ) async throws {
        metrics.beat(stage, loop: topic)
        let consumer = try await log.consumer(group: group, topic: topic, draining: drain != nil)
        var writes = CommitPipeline()
        do {
            try await loop(consumer, writes: &writes, state: makeState, batch: batch)
        } catch {
            // Leaves the group (or a drain's claim) now rather than when the process ends, once
            // the write in flight, which uses the consumer, is over.
            try? await writes.finish()
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    private func loop<State: ~Copyable>(
        _ consumer: any LogConsumer, writes: inout CommitPipeline, state makeState: () throws -> State,
        batch: (inout State, [ConsumedRecord], any LogConsumer) async throws -> Write
    ) async throws {
        var state = try makeState()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            metrics.beat(stage, loop: topic)
            if let backpressure, backpressure.mustWait {
                await consumer.pause()
                await backpressure.wait()
                await consumer.resume()
            }
            let records = try await poll(consumer)
            if records.isEmpty {
                try await writes.finish()
                try await consumer.flush()
                if let drain, drain.isFinished(upstream), try await consumer.lag() == 0 { break }
                continue
            }
            let started = ContinuousClock.now
            let write = try await batch(&state, records, consumer)
            try await writes.submit { [metrics, stage] in
                try await write()
                metrics.recordBatch(stage, took: ContinuousClock.now - started)
            }
        }
        try await writes.finish()
        try await consumer.flush()
    }

    /// ``run(on:state:batch:)`` for a stage that keeps nothing from one batch to the next.
    func run(on log: any Log, batch: ([ConsumedRecord], any LogConsumer) async throws -> Write) async throws {
        try await run(on: log, state: {}) { _, records, consumer in try await batch(records, consumer) }
    }
}
