import Foundation
import Logging
import StockpipeCore

/// Finnhub's WebSocket trade stream as a source: one connection, every symbol subscribed, kept
/// alive through drops and stalls by reconnecting (with backoff and jitter) and subscribing again.
///
/// A live stream cannot be re-read, so its position only numbers the messages, which keeps each
/// one's source label unique across restarts.
public struct FinnhubTradeSource: FeedSource {
    public var configuration: FinnhubConfiguration
    /// Stop after this many trades (for tests and bounded runs); nil runs until stopped.
    public var limit: Int?

    public init(configuration: FinnhubConfiguration, limit: Int? = nil) {
        self.configuration = configuration
        self.limit = limit
    }

    public var name: String { "finnhub:ws" }

    public func open(at position: Int64?) throws -> any FeedReader {
        try configuration.checkSymbols()
        let connection = StreamConnection(configuration: configuration)
        connection.start()
        return FinnhubStreamReader(connection: connection, position: position ?? 0, limit: limit)
    }
}

struct FinnhubStreamReader: FeedReader {
    /// Stops the connection when the reader goes (the stage stopped).
    final class Lifetime {
        let connection: StreamConnection
        init(_ connection: StreamConnection) { self.connection = connection }
        deinit { connection.stop() }
    }

    let lifetime: Lifetime
    var connection: StreamConnection { lifetime.connection }
    private(set) var position: Int64
    let limit: Int?
    private var trades = 0

    init(connection: StreamConnection, position: Int64, limit: Int?) {
        lifetime = Lifetime(connection)
        self.position = position
        self.limit = limit
    }

    mutating func next(maxMessages: Int) async throws -> [FeedMessageText]? {
        if let limit, trades >= limit {
            connection.stop()
            return nil
        }
        // Up to 250 ms for the first message, then whatever else has arrived.
        var waited = 0
        var received = connection.take(maxMessages)
        while received.isEmpty && waited < 250 && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
            waited += 10
            received = connection.take(maxMessages)
        }
        var messages: [FeedMessageText] = []
        messages.reserveCapacity(received.count)
        for bytes in received {
            position += 1
            messages.append(FeedMessageText(bytes: bytes, label: "@\(position)"))
            if limit != nil, case .trades(let ranges) = bytes.withUnsafeBytes({ FeedMessage.classify($0) }) {
                trades += ranges.count
            }
        }
        return messages
    }
}
