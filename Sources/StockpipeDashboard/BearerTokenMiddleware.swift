import Hummingbird

/// With a token configured, every request but `/health` must carry it: `Authorization: Bearer
/// TOKEN`, or the cookie that visiting any page with `?token=TOKEN` sets (so a browser can use it).
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty, request.uri.path != "/health" else { return try await next(request, context) }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
           Self.equal(String(header.dropFirst(7)), token) {
            return try await next(request, context)
        }
        if let cookie = request.cookies["stockpipe_token"]?.value, Self.equal(cookie, token) {
            return try await next(request, context)
        }
        if let query = request.uri.queryParameters.get("token"), Self.equal(query, token) {
            // Set the cookie and drop the token from the address bar (and from history).
            var response = Response(status: .seeOther, headers: [.location: request.uri.path])
            response.setCookie(.init(name: "stockpipe_token", value: token, path: "/", secure: false, httpOnly: true,
                                     sameSite: .strict))
            return response
        }
        throw APIError(status: .unauthorized, message: "a bearer token is required: Authorization: Bearer TOKEN")
    }

    /// Compares in time that does not depend on where the texts differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<min(x.count, y.count) { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
