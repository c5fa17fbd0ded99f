import CRdKafka
import StockpipeCore

/// A failure reported by librdkafka or by the brokers, in words an operator can act on.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for code that decides on it; the command line adds which flag fixes it.
    public enum Kind: Sendable, Equatable {
        /// librdkafka or the brokers said so: see ``KafkaError/code``.
        case failed
        /// No bootstrap servers were given.
        case noBrokers
        /// The brokers did not answer (`code` says how librdkafka saw it).
        case unreachable(brokers: String)
        /// The pipeline's topics are not on the cluster.
        case missingTopics([String], brokers: String)
        /// A send was given up because its stage is stopping.
        case stopping
    }

    public var kind: Kind
    /// librdkafka's error code (`rd_kafka_resp_err_t` raw value); 0 for errors of our own.
    public var code: Int32
    public var message: String

    public init(code: Int32 = 0, _ message: String) {
        self.init(kind: .failed, code: code, message)
    }

    public init(kind: Kind, code: Int32 = 0, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    init(_ error: rd_kafka_resp_err_t, context: String) {
        self.init(code: error.rawValue, "\(context): \(String(cString: rd_kafka_err2str(error)))")
    }

    /// Takes ownership of `error` and destroys it.
    init(taking error: OpaquePointer, context: String) {
        let code = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        rd_kafka_error_destroy(error)
        self.init(code: code.rawValue, "\(context): \(text)")
    }

    public var description: String { message }

    /// Whether the settings are the cause (no brokers, brokers that do not answer, missing
    /// topics), rather than the cluster or this process.
    public var isUsersToFix: Bool {
        switch kind {
        case .noBrokers, .unreachable, .missingTopics: true
        case .failed, .stopping: false
        }
    }

    var responseError: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: code) }

    /// A leader or coordinator that moved, or a broker not reached this time: asking again soon can succeed.
    static func isTransient(_ error: rd_kafka_resp_err_t) -> Bool {
        [
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH, RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__WAIT_COORD,
        ].contains(error)
    }

    /// The group moved on (rebalance or fencing): the commit did not count, and the partition's next
    /// owner consumes those records again. Stores are idempotent, so nothing is lost or doubled.
    var isStaleGeneration: Bool {
        [
            RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
            RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
        ].contains(responseError)
    }
}
