import Hummingbird
import StockpipeCore

/// With a token configured, every request but `/health` must carry it: `Authorization: Bearer
/// TOKEN` (the scheme in any case), or the session cookie that visiting any page with `?token=TOKEN`
/// sets (so a browser can use it). The cookie is a signed expiry, not the token (``SessionCookie``).
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty, request.uri.path != "/health" else { return try await next(request, context) }
        if let header = request.headers[.authorization], let presented = Self.bearerCredentials(header),
            Self.equal(presented, token)
        {
            return try await next(request, context)
        }
        let session = SessionCookie(token: token)
        if let cookie = request.cookies[SessionCookie.name]?.value, session.accepts(cookie) {
            return try await next(request, context)
        }
        if let query = request.uri.queryParameters.get("token"), Self.equal(query, token) {
            // Set the cookie and drop the token from the address bar (and from history).
            var response = Response(status: .seeOther, headers: [.location: Self.localRedirect(request.uri.path), .cacheControl: "no-store"])
            let secure = request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
            response.setCookie(
                .init(
                    name: SessionCookie.name, value: session.issue(), maxAge: SessionCookie.maxAge, path: "/",
                    secure: secure, httpOnly: true, sameSite: .strict))
            return response
        }
        throw APIError(
            status: .unauthorized, message: "a bearer token is required: Authorization: Bearer TOKEN",
            headers: [.wwwAuthenticate: #"Bearer realm="stockpipe""#])
    }

    /// The credentials of an `Authorization` value whose scheme is Bearer, in any case (RFC 7235),
    /// with any spaces or tabs around and between.
    static func bearerCredentials(_ header: String) -> String? {
        let trimmed = header.trimmingSpaces
        guard let gap = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }),
            trimmed[..<gap].lowercased() == "bearer"
        else { return nil }
        let credentials = trimmed[gap...].trimmingSpaces
        return credentials.isEmpty ? nil : credentials
    }

    /// `path` when it is a path on this server; `/` for anything a browser could read as another
    /// host (`//evil.com/`, `/\evil.com`), a scheme, or bytes that do not belong in a header.
    static func localRedirect(_ path: String) -> String {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/"),
            bytes.count == 1 || (bytes[1] != UInt8(ascii: "/") && bytes[1] != UInt8(ascii: "\\")),
            bytes.allSatisfy({ (0x21...0x7e).contains($0) && $0 != UInt8(ascii: "\\") })
        else { return "/" }
        return path
    }

    /// Compares in time that does not depend on where the texts differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<min(x.count, y.count) { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
