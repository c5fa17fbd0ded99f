import CRdKafka
import StockpipeCore

extension KafkaConsumer {
    /// Errors a consumer cannot get past by waiting; the rest (brokers down for a while) it rides out.
    static func fatal(_ error: rd_kafka_resp_err_t, topic: String) -> KafkaError? {
        switch error {
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            KafkaError(error, context: "topic \(topic) does not exist; create it with `stockpipe topics create`")
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
            KafkaError(error, context: "not authorised to read \(topic); check the ACLs of this client's principal")
        case RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
            KafkaError(error, context: "Kafka authentication failed; check the sasl.* and security.protocol properties")
        default:
            nil
        }
    }

    static func record(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> ConsumedRecord {
        let payload = message.pointee.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: message.pointee.len)) } ?? []
        let key =
            message.pointee.key.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len), as: UTF8.self)
            } ?? ""
        var headers: [RecordHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
                headers.append(RecordHeader(name.map { String(cString: $0) } ?? "", text))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return ConsumedRecord(
            topic: topic, partition: message.pointee.partition, offset: message.pointee.offset,
            key: key, value: payload, headers: headers, timestamp: timestamp)
    }
}
