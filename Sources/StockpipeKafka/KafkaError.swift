import CRdKafka

/// A failure reported by librdkafka or by the brokers, in words an operator can act on.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's error code (`rd_kafka_resp_err_t` raw value); 0 for errors of our own.
    public var code: Int32
    public var message: String

    public init(code: Int32 = 0, _ message: String) {
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

    var responseError: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: code) }

    /// The group moved on (rebalance or fencing): the commit did not count, and the partition's next
    /// owner consumes those records again. Stores are idempotent, so nothing is lost or doubled.
    var isStaleGeneration: Bool {
        [RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
         RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
         RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID].contains(responseError)
    }
}
