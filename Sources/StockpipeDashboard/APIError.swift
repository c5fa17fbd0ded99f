import StockpipeCore
import Hummingbird
import StockpipeJSON
import NIOCore

/// A request the API cannot answer, sent as `{"error":"..."}` with its status.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    /// Added to the response, as `WWW-Authenticate` on a 401.
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = JSONWriter(capacity: message.utf8.count + 16)
        writer.objectStart()
        writer.key("error"); writer.string(message)
        writer.objectEnd()
        var response = Response.json(writer.bytes, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension Response {
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
