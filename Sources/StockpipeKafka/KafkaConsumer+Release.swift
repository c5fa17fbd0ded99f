import CRdKafka
import Foundation
import StockpipeCore

extension KafkaConsumer {
    /// Whether `rd_kafka_destroy` can be called on this member without aborting the process.
    ///
    /// librdkafka before 2.3 (Debian has 2.0.2) keeps the cooperative-sticky assignor's state from
    /// the moment a JoinGroup answer chooses the assignor, but creates it only with the first
    /// assignment; destroying a member in between asserts on the missing state and aborts
    /// (confluentinc/librdkafka#4312, which crashed a CI run while consumers closed and joined).
    /// A member that never joined has no assignor and is safe; one that joined waits here, polling,
    /// for its first assignment, which normally follows within milliseconds.
    /// Runs on the poll thread, before `rd_kafka_consumer_close`.
    static func releasable(_ handle: KafkaHandle, tracker: ConsumerTracker, within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !tracker.hasBeenAssigned {
            // "NONE" until a JoinGroup answer chose the assignor; NULL when the group cannot be asked.
            if let name = rd_kafka_rebalance_protocol(handle.pointer), String(cString: name) == "NONE" { return true }
            guard ContinuousClock.now < deadline else { return false }
            // Records polled here are dropped uncommitted: the partitions' next owner reads them.
            if let message = rd_kafka_consumer_poll(handle.pointer, 100) { rd_kafka_message_destroy(message) }
        }
        return true
    }
}
