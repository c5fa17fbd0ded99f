import Crypto
import Foundation
import StockpipeCore

/// The browser's proof that it was given the token once, which is not the token itself:
/// `v1.EXPIRY.MAC`, EXPIRY in Unix seconds and MAC the hex HMAC-SHA256 of `stockpipe-session.v1.EXPIRY`
/// keyed by the token.
///
/// It is derived rather than kept in a table, so that every `serve` process with the same token
/// accepts it (behind a load balancer, or after a restart) and nothing grows per visitor; changing
/// the token ends every session. Neither the cookie nor its MAC gives the token back.
struct SessionCookie {
    static let name = "stockpipe_session"
    /// How long a session lasts: 12 hours, as `Max-Age` and as the expiry signed into the value.
    static let maxAge = 12 * 60 * 60

    let token: String

    /// A new session's value, valid for `maxAge` seconds from `now`.
    func issue(now: Int = Int(Date().timeIntervalSince1970)) -> String {
        let expiry = now + Self.maxAge
        return "v1.\(expiry).\(mac(expiry: expiry))"
    }

    /// Whether `value` was issued with this token and has not expired.
    func accepts(_ value: String, now: Int = Int(Date().timeIntervalSince1970)) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", parts[1].count <= 12, let expiry = Int(parts[1]),
            expiry > now, expiry <= now + Self.maxAge + 300
        else { return false }
        return BearerTokenMiddleware.equal(String(parts[2]), mac(expiry: expiry))
    }

    private func mac(expiry: Int) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Array("stockpipe-session.v1.\(expiry)".utf8),
            using: SymmetricKey(data: Array(token.utf8)))
        return code.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
