import Foundation
import HTTPTypes
import Hummingbird
import StockpipeCore
import StockpipeJSON

extension FinnhubServer {
    static let tokenHeader = HTTPField.Name("X-Finnhub-Token")!

    func restRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/api/v1/quote") { request, _ in
            try await self.quote(request)
        }
        router.get("/api/v1/stock/candle") { request, _ in
            try await self.candles(request)
        }
        // A WebSocket request that was not upgraded (a refused token) ends here.
        router.get("/") { _, _ in
            Self.json(.unauthorized, #"{"error":"Invalid API key"}"#)
        }
        return router
    }

    func quote(_ request: Request) async throws -> Response {
        let limitHeaders: HTTPFields
        switch try await admit(request) {
        case .refused(let response): return response
        case .admitted(let headers): limitHeaders = headers
        }
        let now = WallClock.milliseconds()
        guard let symbol = request.uri.queryParameters.get("symbol"), !symbol.isEmpty else {
            return Self.json(.unprocessableContent, #"{"error":"Symbol is required"}"#, headers: limitHeaders)
        }
        var writer = JSONWriter(capacity: 160)
        writer.objectStart()
        for (key, value) in market.quote(symbol, now: now) {
            writer.key(dynamic: key)
            if key == "t" { writer.integer(Int64(value)) } else { writer.number(value) }
        }
        writer.objectEnd()
        return Self.json(.ok, writer.string, headers: limitHeaders)
    }

    enum Admission {
        case admitted(HTTPFields)
        case refused(Response)
    }

    /// What every REST call goes through: the slow-response fault, the key, the rate limits, and
    /// the plain-text fault; an admitted call gets the rate-limit headers to send.
    func admit(_ request: Request) async throws -> Admission {
        if let delay = configuration.faults.slowResponses { try await Task.sleep(for: delay) }
        let token = request.headers[Self.tokenHeader] ?? request.uri.queryParameters.get("token")
        guard authorised(token) else {
            counters.withLock { $0.unauthorised += 1 }
            return .refused(Self.json(.unauthorized, #"{"error":"Invalid API key"}"#))
        }
        let now = WallClock.milliseconds()
        let admission = limiter.admit(now: now)
        let call = counters.withLock { counters -> Int in
            counters.restCalls += 1
            if !admission.admitted { counters.rateLimited += 1 }
            return counters.restCalls
        }
        var limitHeaders: HTTPFields = [
            HTTPField.Name("X-Ratelimit-Limit")!: String(limiter.perMinute),
            HTTPField.Name("X-Ratelimit-Remaining")!: String(admission.remaining),
            HTTPField.Name("X-Ratelimit-Reset")!: String(now / 1_000 + Int64(max(1, admission.retryAfterSeconds))),
        ]
        if call <= configuration.faults.unavailableFirst {
            return .refused(Response(status: .serviceUnavailable))
        }
        guard admission.admitted else {
            limitHeaders[.retryAfter] = String(admission.retryAfterSeconds)
            return .refused(Self.json(.tooManyRequests, #"{"error":"API limit reached. Please try again later."}"#, headers: limitHeaders))
        }
        if let every = configuration.faults.textEvery, call % every == 0 {
            var headers = limitHeaders
            headers[.contentType] = "text/plain"
            return .refused(
                Response(
                    status: .ok, headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: "You don't have access to this resource."))))
        }
        if let every = configuration.faults.echoEvery, call % every == 0 {
            var writer = JSONWriter(capacity: 160)
            writer.objectStart()
            writer.key("error"); writer.string("bad request: \(request.uri) with key \(token ?? "")")
            writer.objectEnd()
            return .refused(Self.json(.ok, writer.string, headers: limitHeaders))
        }
        return .admitted(limitHeaders)
    }

    static func json(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
