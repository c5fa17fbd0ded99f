import CRdKafka
import StockpipeCore

/// An `rd_kafka_t` (or another librdkafka object) shared between threads.
///
/// `@unchecked Sendable` is safe because librdkafka's client handles are thread-safe: every
/// function used on them may be called from any thread (see librdkafka's INTRODUCTION.md,
/// "Threads and callbacks"). Calls that block are made on ``BlockingThread``s only.
struct KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Creates a producer or consumer; `rd_kafka_new` takes ownership of `conf` on success only.
    static func make(_ type: rd_kafka_type_t, conf: OpaquePointer, brokers: String) throws -> KafkaHandle {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("cannot create a Kafka client for \(brokers): \(String(errorBuffer: errorText))")
        }
        return KafkaHandle(handle)
    }
}

extension String {
    /// The text librdkafka wrote into an error buffer, up to its terminating zero.
    init(errorBuffer: [CChar]) {
        self.init(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
