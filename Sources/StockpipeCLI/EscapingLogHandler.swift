import Logging

/// Writes through another handler with control characters escaped in the message and metadata, so
/// that text from outside (a feed's error message, a server's answer) cannot forge a log line with a
/// newline or drive the terminal with an escape sequence.
struct EscapingLogHandler: LogHandler {
    var wrapped: any LogHandler

    init(_ wrapped: any LogHandler) { self.wrapped = wrapped }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(TerminalText.escaped(event.message.description))"
        event.metadata = event.metadata.map { $0.mapValues { .string(TerminalText.escaped($0.description)) } }
        wrapped.log(event: event)
    }
}
