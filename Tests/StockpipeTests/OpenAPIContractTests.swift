import Foundation
import StockpipeCore
import StockpipeJSON
import Testing

@testable import StockpipeDashboard
@testable import StockpipePipeline

/// The OpenAPI document's component schemas against the `Encodable` types the API answers with:
/// a sample of each type, encoded as the API encodes it, has every member its schema requires, of
/// the schema's JSON type, and no member its schema does not name. A field renamed on either side
/// fails here, before a client finds out.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    /// Each component schema with samples of the type that answers with it.
    static func samples() throws -> [(schema: String, value: JSONValue)] {
        let trade = Trade(
            symbol: "AAPL", price: 189.5, volume: 100, timestamp: 1_732_480_000_000, conditions: ["1", "12"],
            id: TradeID(high: 1, low: 2))
        var candle = Candle(
            symbol: "AAPL", interval: Candle.oneMinute, start: 1_732_480_000_000, open: 189.5, high: 190, low: 189,
            close: 189.75, volumeUnits: 100_000_000_000, notionalUnits: 18_950_000_000_000_000_000, trades: 3)
        var backfilled = candle
        backfilled.backfilled = true
        backfilled.notionalUnits = 0
        candle.trades = 3
        let quote = Quote(
            symbol: "AAPL", current: 189.5, change: -0.5, percentChange: -0.26, high: 191, low: 188, open: 190,
            previousClose: 190, timestamp: 1_732_480_000, receivedAt: 1_732_480_000_123)
        var bare = quote
        (bare.change, bare.percentChange) = (nil, nil)
        let record = QuarantineRecord(
            reasons: [.priceJump, .duplicate], payload: Array(#"{"s":"AAPL"}"#.utf8),
            origin: Origin(topic: Topic.staging, partition: 0, offset: 42, source: "replay"),
            quarantinedAt: 1_732_480_000_456)
        var summary = SymbolSummary(symbol: "AAPL", last: 189.5, lastUpdate: 1_732_480_000_000, reference: 190, sparkline: [190, 189.5])
        summary.latest = candle
        var bucket = QualityBucket(start: 1_732_480_000_000)
        bucket.accepted = 10
        bucket.quarantined = [.priceJump: 2, .malformed: 1]
        let run = JobRunEntry(
            job: "retention", scheduledAt: 1, startedAt: 2, finishedAt: 3, attempts: 1, outcome: .succeeded,
            detail: "expired 0 rows", trigger: .schedule)
        let report = try QualityReport(json: Self.qualityReport)
        let status = Self.statusReport(quality: report, jobs: [run])
        let point = StatusSampler.Point(
            at: 1_732_480_000_000, rates: ["ingest": 10.4, "validate": 9.6], lag: ["validate": 3, "load": 0],
            latency: PipelineMetrics.Latency(
                p50: .milliseconds(12), p99: .milliseconds(80),
                max: .milliseconds(95), measuredAt: 1_732_480_000_000))
        var idle = point
        idle.latency = nil
        let sample = StatusSampler.Sample(report: status, point: point, history: [idle, point])
        var empty = sample
        empty.report = Self.statusReport(quality: nil, jobs: [])

        return try [
            ("Trade", JSONValue(trade.document)),
            ("Candle", JSONValue(candle.document)), ("Candle", JSONValue(backfilled.document)),
            ("Quote", JSONValue(quote.document)), ("Quote", JSONValue(bare.document)),
            ("QuarantineRecord", JSONValue(record.document)),
            ("SymbolSummary", JSONValue(summary.document)),
            ("QualityCounts", JSONValue(QualityCountsDocument(bucket: "1m", from: 1_732_480_000_000, history: [bucket]))),
            ("QualityReport", JSONValue(report.document)),
            ("JobRun", JSONValue(run.document)),
            ("Status", JSONValue(StatusDocument.of(sample))), ("Status", JSONValue(StatusDocument.of(empty))),
            ("Error", JSONValue(ErrorDocument(error: "symbol is required, e.g. ?symbol=AAPL"))),
            ("Health", JSONValue(HealthDocument(status: "ok"))),
        ]
    }

    static let qualityReport = #"""
        {"generatedAt": 1732480000000, "marketOpen": true, "accepted": 100, "quarantined": 5, "quarantinePercent": 4.76,
         "thresholds": {"freshnessMs": 600000, "maxQuarantinePercent": 5, "maxGapMinutes": 10, "windowMs": 3600000, "calendar": "NYSE"},
         "symbols": [{"symbol": "AAPL", "lastUpdate": 1732480000000, "ageMs": 1000, "stale": false, "gapMinutes": 0}],
         "breaches": []}
        """#

    static func statusReport(quality: QualityReport?, jobs: [JobRunEntry]) -> StatusReport {
        var counters = IngestCounters()
        (counters.messages, counters.trades, counters.malformed) = (10, 12, 1)
        var store = StoreCounts(trades: 12, candles: 3, symbols: 1, quarantined: 1, quarantineByReason: [.malformed: 1])
        store.quotes = 0
        return StatusReport(
            dataDirectory: "/data", sources: [("replay", counters)],
            topics: [LogStatus.TopicStatus(name: Topic.staging, appended: 13, retained: 13)],
            stages: [StatusReport.Stage(name: ConsumerGroup.validate, topic: Topic.staging, position: 13, lag: 0)],
            store: store, quality: quality, jobs: jobs)
    }

    static func schemas() throws -> [String: JSONValue] {
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(OpenAPIDocument.json.utf8))
        return try #require(document["components"]?["schemas"]?.object)
    }

    @Test func everyAnswerMatchesItsSchema() throws {
        let schemas = try Self.schemas()
        let samples = try Self.samples()
        for (name, value) in samples {
            let schema = try #require(schemas[name], "no schema \(name) in the OpenAPI document")
            var problems: [String] = []
            Self.check(value, against: schema, at: name, schemas: schemas, strict: true, problems: &problems)
            #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
        }
        // Every object schema of the document has a sample, so none goes unchecked.
        let objects = schemas.filter { $0.value["type"]?.string == "object" }.keys
        #expect(Set(objects) == Set(samples.map(\.schema)), "schemas without a sample, or samples without a schema")
    }

    /// Nested objects too: every member the code writes, down to the quarantine's origin and the
    /// pipeline panel's sample, is in the document; one added to the code alone fails.
    @Test func nestedMembersAreDocumentedToo() throws {
        let schemas = try Self.schemas()
        let full = Origin(
            topic: Topic.staging, partition: 1, offset: 7, source: "replay", occurrence: 2, originalSize: 2_000_000,
            error: "rejected")
        let record = QuarantineRecord(reasons: [.storeRejected], payload: [0xFF, 0x41], origin: full, quarantinedAt: 9)
        var undocumented: Set<String> = []
        let samples = try Self.samples() + [("QuarantineRecord", try JSONValue(record.document))]
        for (name, value) in samples {
            let schema = try #require(schemas[name])
            Self.collectUndocumented(value, schema: schema, at: name, schemas: schemas, top: true, into: &undocumented)
        }
        #expect(undocumented.isEmpty, "\(undocumented.sorted())")
    }

    /// A change that rounds to nothing reads 0, never -0 (the old writer wrote whole numbers as
    /// integers, which had no sign; a Double keeps it).
    @Test func aChangeThatRoundsToNothingIsZeroNotMinusZero() throws {
        let summary = SymbolSummary(symbol: "OANDA:EUR_USD", last: 1.08, lastUpdate: 0, reference: 1.080000001, sparkline: [])
        #expect(summary.change < 0 && summary.changePercent < 0)
        let json = try JSONOutput.string(summary.document)
        #expect(json.contains(#""change":0"#) && json.contains(#""changePercent":0"#) && !json.contains("-0"), "\(json)")
    }

    /// A name the schema does not know fails with the path, as a renamed field would.
    @Test func aRenamedFieldFails() throws {
        let schemas = try Self.schemas()
        var renamed = try JSONValue(Trade(symbol: "A", price: 1, volume: 1, timestamp: 1, conditions: [], id: TradeID(high: 0, low: 0)).document)
        guard case .object(var members) = renamed else { Issue.record("a trade is an object"); return }
        members["ts"] = members.removeValue(forKey: "timestamp")
        renamed = .object(members)
        var problems: [String] = []
        Self.check(renamed, against: try #require(schemas["Trade"]), at: "Trade", schemas: schemas, strict: true, problems: &problems)
        #expect(problems.sorted() == ["Trade.timestamp is required but absent", "Trade.ts is not in the schema's properties"])
    }

    // MARK: - Checking a value against a schema (the parts of JSON Schema the document uses)

    static func resolve(_ schema: JSONValue, _ schemas: [String: JSONValue]) -> JSONValue {
        guard let reference = schema["$ref"]?.string, reference.hasPrefix("#/components/schemas/"),
            let target = schemas[String(reference.dropFirst("#/components/schemas/".count))]
        else { return schema }
        return resolve(target, schemas)
    }

    static func check(
        _ value: JSONValue, against given: JSONValue, at path: String, schemas: [String: JSONValue], strict: Bool,
        problems: inout [String]
    ) {
        let schema = resolve(given, schemas)
        if let choices = schema["oneOf"]?.array {
            let matching = choices.filter { choice in
                var found: [String] = []
                check(value, against: choice, at: path, schemas: schemas, strict: strict, problems: &found)
                return found.isEmpty
            }
            if matching.count != 1 { problems.append("\(path) matches \(matching.count) of oneOf, not 1") }
            return
        }
        if let types = schema["type"].map({ $0.string.map { [$0] } ?? $0.array?.compactMap(\.string) ?? [] }), !types.isEmpty,
            !types.contains(where: value.isOfType)
        {
            problems.append("\(path) is \(value.typeName), not \(types.joined(separator: " or "))")
            return
        }
        if let allowed = schema["enum"]?.array, !allowed.contains(value) {
            problems.append("\(path) is \(value), not one of the schema's enum")
        }
        switch value {
        case .object(let members):
            let properties = schema["properties"]?.object
            for required in schema["required"]?.array?.compactMap(\.string) ?? [] where members[required] == nil {
                problems.append("\(path).\(required) is required but absent")
            }
            for (key, member) in members {
                if let property = properties?[key] {
                    check(member, against: property, at: "\(path).\(key)", schemas: schemas, strict: false, problems: &problems)
                } else if strict, properties != nil {
                    problems.append("\(path).\(key) is not in the schema's properties")
                } else if let additional = schema["additionalProperties"], additional.object != nil {
                    check(member, against: additional, at: "\(path).\(key)", schemas: schemas, strict: false, problems: &problems)
                }
            }
        case .array(let elements):
            guard let items = schema["items"] else { return }
            for (index, element) in elements.enumerated() {
                check(element, against: items, at: "\(path)[\(index)]", schemas: schemas, strict: false, problems: &problems)
            }
        default:
            return
        }
    }

    /// Members of nested objects that their schema (with `properties`) does not name.
    static func collectUndocumented(
        _ value: JSONValue, schema given: JSONValue, at path: String, schemas: [String: JSONValue], top: Bool,
        into found: inout Set<String>
    ) {
        let schema = resolve(given, schemas)
        if let choices = schema["oneOf"]?.array {
            for choice in choices where resolve(choice, schemas)["type"]?.string != "null" {
                collectUndocumented(value, schema: choice, at: path, schemas: schemas, top: top, into: &found)
            }
            return
        }
        switch value {
        case .object(let members):
            guard let properties = schema["properties"]?.object else { return }
            for (key, member) in members {
                if let property = properties[key] {
                    collectUndocumented(member, schema: property, at: "\(path).\(key)", schemas: schemas, top: false, into: &found)
                } else if !top {
                    found.insert("\(path).\(key)")
                }
            }
        case .array(let elements):
            guard let items = schema["items"] else { return }
            for element in elements { collectUndocumented(element, schema: items, at: path, schemas: schemas, top: false, into: &found) }
        default:
            return
        }
    }
}

/// A JSON document as read, keeping integers apart from other numbers as JSON Schema does.
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// `value` encoded as the API encodes it (``JSONOutput``), read back.
    init(_ value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(try JSONOutput.bytes(value)))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    subscript(key: String) -> JSONValue? { object?[key] }
    var object: [String: JSONValue]? { if case .object(let members) = self { members } else { nil } }
    var array: [JSONValue]? { if case .array(let elements) = self { elements } else { nil } }
    var string: String? { if case .string(let text) = self { text } else { nil } }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// JSON Schema's types: an integer is a number too.
    func isOfType(_ type: String) -> Bool {
        type == typeName || (type == "number" && typeName == "integer")
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value): "\"\(value)\""
        case .array(let elements): "[\(elements.map(\.description).joined(separator: ","))]"
        case .object(let members): "{\(members.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))}"
        }
    }
}
