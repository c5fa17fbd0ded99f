import StockpipeCore
import StockpipeJSON

extension StatusReport {
    /// `stockpipe status --json`; `/api/v1/status` adds `pipeline` (the OpenAPI schema `Status`).
    public struct Document: Encodable, Sendable {
        public struct Source: Encodable, Sendable {
            public var name: String
            public var messages, trades, malformed, quotes, pings, errors, emptyMessages: Int
        }

        public struct Topic: Encodable, Sendable {
            public var appended, retained: Int64
        }

        public struct Stage: Encodable, Sendable {
            public var topic: String
            public var position, lag: Int64
        }

        public struct Store: Encodable, Sendable {
            public var trades, candles, backfilledCandles, symbols, quarantined, quotes: Int64
        }

        public struct Reconciliation: Encodable, Sendable {
            public var staged, stagedElsewhere, redriven, stored, quarantined, pending: Int64
            public var balanced: Bool
        }

        public var dataDirectory: String
        public var sources: [Source]
        /// By topic name.
        public var topics: [String: Topic]
        /// By consumer group.
        public var stages: [String: Stage]
        public var store: Store
        /// Quarantined records by reason code, every code present.
        public var quarantine: [String: Int64]
        public var reconciliation: Reconciliation
        @NullWhenAbsent public var quality: QualityReport.Document?
        public var jobs: [JobRunEntry.Document]
    }

    public var document: Document {
        Document(
            dataDirectory: dataDirectory,
            sources: sources.map { name, counters in
                Document.Source(
                    name: name, messages: counters.messages, trades: counters.trades, malformed: counters.malformed,
                    quotes: counters.quotes, pings: counters.pings, errors: counters.errors, emptyMessages: counters.empty)
            },
            topics: Dictionary(topics.map { ($0.name, Document.Topic(appended: $0.appended, retained: $0.retained)) }) { $1 },
            stages: Dictionary(stages.map { ($0.name, Document.Stage(topic: $0.topic, position: $0.position, lag: $0.lag)) }) { $1 },
            store: Document.Store(
                trades: store.trades, candles: store.candles, backfilledCandles: store.backfilledCandles,
                symbols: store.symbols, quarantined: store.quarantined, quotes: store.quotes),
            quarantine: Dictionary(uniqueKeysWithValues: ReasonCode.allCases.map { ($0.rawValue, store.quarantineByReason[$0] ?? 0) }),
            reconciliation: Document.Reconciliation(
                staged: staged, stagedElsewhere: stagedElsewhere, redriven: redriven,
                stored: store.trades + store.quotes, quarantined: store.quarantined,
                pending: pending, balanced: balanced),
            quality: quality?.document,
            jobs: jobs.map(\.document))
    }

    /// The document as text (`{}` in the one case it cannot be written: a number that is not finite).
    public func json() -> String {
        (try? JSONOutput.string(document)) ?? "{}"
    }
}

extension JobRunEntry {
    /// A run as the history shows it (`jobs history --json`, `/api/v1/jobs`, `status --json`): the
    /// OpenAPI schema `JobRun`.
    public struct Document: Encodable, Sendable, Equatable {
        public var job: String
        public var scheduledAt, startedAt, finishedAt: Int64
        public var attempts: Int
        /// `succeeded`, `failed`, `timed_out` or `skipped`.
        public var outcome: String
        /// `schedule` or `manual`.
        public var trigger: String
        public var detail: String
    }

    public var document: Document {
        Document(
            job: job, scheduledAt: scheduledAt, startedAt: startedAt, finishedAt: finishedAt, attempts: attempts,
            outcome: outcome.rawValue, trigger: trigger.rawValue, detail: detail)
    }
}
