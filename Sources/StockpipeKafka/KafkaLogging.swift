import CRdKafka
import Logging
import StockpipeCore

/// Where librdkafka's own log lines go: swift-log, label `librdkafka`, so they share the
/// process's format and level (`STOCKPIPE_LOG_LEVEL`).
enum KafkaLogging {
    static let logger = Logger(label: "librdkafka")

    /// Installed on every client's configuration. Connection failures are debug-level here: the
    /// operator gets one clear error from stockpipe instead (brokers unreachable, or lag growing).
    static let callback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
        _, level, facility, message in
        let facility = facility.map { String(cString: $0) } ?? ""
        let text = message.map { String(cString: $0) } ?? ""
        let swiftLevel: Logger.Level
        switch level {
        case ...3 where facility == "FAIL" || facility == "ERROR": swiftLevel = .debug
        case ...4: swiftLevel = .warning
        default: swiftLevel = .debug
        }
        logger.log(level: swiftLevel, "\(text)", metadata: ["facility": "\(facility)"])
    }
}
