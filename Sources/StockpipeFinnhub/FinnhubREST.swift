import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import StockpipeCore

/// GET requests to Finnhub's REST API, with the token in the `X-Finnhub-Token` header so that no
/// URL holds it, and bodies capped at 16 MiB.
struct FinnhubREST {
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    let client: HTTPClient
    let configuration: FinnhubConfiguration

    init(_ configuration: FinnhubConfiguration) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path = configuration.trustedCertificate {
            tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(path))]
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        self.configuration = configuration
    }

    /// `path` below the REST root, e.g. `/quote`. Transport failures come back as a
    /// ``FinnhubError`` without the token.
    func get(_ path: String, query: [(String, String)]) async throws(FinnhubError) -> Answer {
        let allowed = CharacterSet.alphanumerics.union(.init(charactersIn: "-._~"))
        let queryText = query.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $1)" }.joined(separator: "&")
        var request = HTTPClientRequest(url: configuration.restURL + path + (queryText.isEmpty ? "" : "?" + queryText))
        request.headers.add(name: "X-Finnhub-Token", value: configuration.token.value)
        do {
            let response = try await client.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 16 << 20)
            return Answer(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
        } catch {
            throw FinnhubError.transport(configuration.token.redact(String(describing: error)))
        }
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// How long a 429 asks us to wait: `Retry-After`, else until `X-Ratelimit-Reset`, else a minute.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration {
        if let seconds = headers.first(name: "Retry-After").flatMap({ Int($0) }) { return .seconds(max(1, seconds)) }
        if let reset = headers.first(name: "X-Ratelimit-Reset").flatMap({ Int64($0) }) {
            return .seconds(max(1, reset - WallClock.milliseconds() / 1_000))
        }
        return .seconds(60)
    }
}
