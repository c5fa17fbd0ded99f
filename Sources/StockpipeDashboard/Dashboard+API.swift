import Hummingbird
import StockpipeCore
import StockpipeExport
import StockpipePipeline

extension Dashboard {
    /// 1-minute candles one request may read (about 69 days); longer intervals roll these up.
    static let maxMinutes: Int64 = 100_000

    func addAPIRoutes(to router: Router<BasicRequestContext>) {
        router.add(middleware: OnlyGetMiddleware())
        let api = router.group("api/v1")
        api.get("symbols") { _, _ in try await self.symbols() }
        api.get("trades") { request, _ in try await self.trades(APIQuery(request), accept: request.headers[.accept]) }
        api.get("candles") { request, _ in try await self.candles(APIQuery(request), accept: request.headers[.accept]) }
        api.get("quotes") { request, _ in try await self.quotes(APIQuery(request), accept: request.headers[.accept]) }
        api.get("quarantine") { request, _ in try await self.quarantine(APIQuery(request), accept: request.headers[.accept]) }
        api.get("quarantine/counts") { request, _ in try await self.quarantineCounts(APIQuery(request)) }
        api.get("status") { _, _ in try await self.status() }
        api.get("quality") { _, _ in try await self.quality() }
        api.get("jobs") { request, _ in try await self.jobs(APIQuery(request)) }
        api.get("stream") { request, _ in self.stream(request) }
        api.get("openapi.json") { _, _ in Response.json(Array(OpenAPIDocument.json.utf8)) }
        api.get("schemas/:topic") { _, context in try self.schema(context.parameters.get("topic") ?? "") }
        router.get("health") { _, _ in try await self.health() }
        router.get("metrics") { _, _ in self.metrics() }
    }

    func symbols() async throws -> Response {
        let summaries = try await backends.store.symbolSummaries(window: 86_400_000, sparkline: 60)
        return try .json(encoding: summaries.map(\.document))
    }

    func trades(_ query: APIQuery, accept: String? = nil) async throws -> Response {
        let symbol = try query.symbol()
        let (from, to) = (try query.time("from"), try query.time("to"))
        if let format = try query.exportFormat(accept: accept) {
            return export(try Self.exportQuery(.trades, symbol: symbol, query), as: format, filename: "trades")
        }
        let trades = try await backends.store.trades(
            symbol: symbol, from: from, to: to,
            limit: try query.limit(default: 500, maximum: 10_000))
        return try .json(encoding: trades.map(\.document))
    }

    /// Without `from`, the day up to `to` (default: the symbol's last update, so that a replay of
    /// old trades shows too).
    func candles(_ query: APIQuery, accept: String? = nil) async throws -> Response {
        let symbol = try query.symbol()
        let interval = try query.interval()
        if let format = try query.exportFormat(accept: accept) {
            var export = try Self.exportQuery(.candles, symbol: symbol, query)
            export.interval = interval
            return self.export(export, as: format, filename: "candles")
        }
        var to = try query.time("to")
        if to == nil, try query.time("from") == nil {
            to = try await backends.store.symbolSummaries(window: 0, sparkline: 1).first { $0.symbol == symbol }?.lastUpdate
        }
        let upper = to ?? WallClock.milliseconds()
        let requested = try query.time("from") ?? max(0, upper - 86_400_000)
        guard requested <= upper else { return try .json(encoding: [Candle.Document]()) }
        // A longer range gives its latest part, as a limit would.
        let from = max(requested, upper - Self.maxMinutes * Candle.oneMinute)
        let start = from - ((from % interval) + interval) % interval
        let candles = Candle.rollUp(try await backends.store.candles(symbol: symbol, from: start, to: upper), to: interval)
        return try .json(encoding: candles.map(\.document))
    }

    func quotes(_ query: APIQuery, accept: String? = nil) async throws -> Response {
        let symbol = try query.symbol()
        if let format = try query.exportFormat(accept: accept) {
            return export(try Self.exportQuery(.quotes, symbol: symbol, query), as: format, filename: "quotes")
        }
        let quotes = try await backends.store.quotes(
            symbol: symbol, from: try query.time("from"), to: try query.time("to"),
            limit: try query.limit(default: 100, maximum: 10_000))
        return try .json(encoding: quotes.map(\.document))
    }

    /// JSON, up to 10,000 records quarantined in [from, to]; or every record, streamed as CSV or NDJSON (``Dashboard/export(_:as:filename:)``).
    func quarantine(_ query: APIQuery, accept: String? = nil) async throws -> Response {
        if let format = try query.exportFormat(accept: accept) {
            var export = try Self.exportQuery(.quarantine, symbol: nil, query)
            export.reason = try query.reason()
            return self.export(export, as: format, filename: "quarantine")
        }
        let limit = try query.limit(default: 50, maximum: 10_000)
        let (from, to) = (try query.time("from"), try query.time("to"))
        let records = try await backends.store.quarantine(reason: try query.reason(), after: to.map(QuarantineCursor.through), limit: limit)
        return try .json(encoding: records.prefix { $0.quarantinedAt >= from ?? .min }.map(\.document))
    }

    /// The export of `kind` that a CSV or NDJSON request asks for: `from`, `to`, `limit` (any number).
    static func exportQuery(_ kind: ExportKind, symbol: String?, _ query: APIQuery) throws -> ExportQuery {
        var export = ExportQuery(kind: kind)
        export.symbols = symbol.map { [$0] }
        (export.from, export.to) = (try query.time("from"), try query.time("to"))
        export.limit = try query.exportLimit()
        if let problem = export.problem { throw APIError.badRequest(problem.replacingOccurrences(of: "--", with: "")) }
        return export
    }

    /// Accepted trades and quarantined records per bucket (default 1 minute over the last hour).
    func quarantineCounts(_ query: APIQuery) async throws -> Response {
        let bucketName = query.string("bucket") ?? "1m"
        guard let bucket = Candle.intervals[bucketName] else {
            throw APIError.badRequest("bucket must be one of \(Candle.intervalNames.joined(separator: ", "))")
        }
        let now = WallClock.milliseconds()
        // At most 10,000 buckets: an earlier from gives the latest ones.
        let from = max(try query.time("from") ?? (now - 3_600_000), now - 10_000 * bucket)
        let history = try await backends.store.qualityHistory(from: from, bucket: bucket)
        return try .json(encoding: QualityCountsDocument(bucket: bucketName, from: from, history: history))
    }

    func status() async throws -> Response {
        let sample = try await sampler.latestOrCollect()
        return try .json(encoding: StatusDocument.of(sample))
    }

    /// The stored report as it was kept: the job, `quality-report` or another process made it.
    func quality() async throws -> Response {
        guard let stored = try await backends.store.latestQualityReport() else { return try .json(encoding: QualityReport.Document?.none) }
        return .json(Array(stored.json.utf8))
    }

    func jobs(_ query: APIQuery) async throws -> Response {
        let names: [String]
        if let job = query.string("job") {
            guard BuiltInJob(rawValue: job) != nil else {
                throw APIError.badRequest("job must be one of \(BuiltInJob.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            names = [job]
        } else {
            names = BuiltInJob.allCases.map(\.rawValue)
        }
        let limit = try query.limit(default: 50, maximum: 1_000)
        let runs = try await JobRunEntry.recent(in: backends.store, jobs: names, limit: limit)
        return try .json(encoding: runs.map(\.document))
    }

    /// The JSON Schema of a topic's record values (``RecordSchema``).
    func schema(_ topic: String) throws -> Response {
        guard let document = RecordSchema.document(for: topic) else {
            throw APIError(
                status: .notFound,
                message: "there is no topic '\(topic.prefix(64))': the schemas are of \(Topic.all.joined(separator: ", "))")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/schema+json"],
            body: .init(byteBuffer: ByteBuffer(string: document)))
    }

    func health() async throws -> Response {
        do {
            _ = try await backends.store.symbolSummaries(window: 0, sparkline: 1)
            return try .json(encoding: HealthDocument(status: "ok"))
        } catch {
            return try .json(encoding: HealthDocument(status: "store unavailable"), status: .serviceUnavailable)
        }
    }

    func metrics() -> Response { .prometheus(registry) }
}

/// Every route here reads: other methods get 405 and the `Allow` header, not 404.
struct OnlyGetMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get else {
            var response = try APIError(status: .methodNotAllowed, message: "only GET is served here")
                .response(from: request, context: context)
            response.headers[.allow] = "GET"
            return response
        }
        return try await next(request, context)
    }
}
