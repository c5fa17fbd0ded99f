import Hummingbird
import Prometheus

extension Response {
    /// Everything `registry` holds, in Prometheus' text format: the dashboard's and a stage's `/metrics`.
    static func prometheus(_ registry: PrometheusCollectorRegistry) -> Response {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16_384)
        registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
