import Hummingbird
import NIOCore
import StockpipeCore
import StockpipeJSON

/// A request the API cannot answer, sent as `{"error":"..."}` with its status.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    /// Added to the response, as `WWW-Authenticate` on a 401.
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try Response.json(encoding: ErrorDocument(error: message), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension Response {
    /// `value` encoded with the API's one JSON configuration (``JSONOutput``).
    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        json(try JSONOutput.bytes(value), status: status)
    }

    /// A JSON document as it is: the OpenAPI document, a stored report.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
