import Foundation
import NIOCore
import StockpipeCQL
import Testing

/// Our CQL request frames against the same requests encoded by the DataStax Python driver
/// (`scripts/cql-golden.py` regenerates the fixture).
@Suite("CQL frames")
struct CQLFrameTests {
    struct Golden: Decodable {
        var name: String
        var version: UInt8
        var stream: Int16
        var hex: String
    }

    static let goldens: [Golden] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cql-requests.json")
        return (try? JSONDecoder().decode([Golden].self, from: Data(contentsOf: url))) ?? []
    }()

    static let uuid = UUID(uuidString: "0f8fad5b-d9cb-469f-a165-70867728950e")!

    /// The request each golden frame holds, built with our types.
    static func request(_ name: String) -> CQLRequest? {
        switch name {
        case "startup": .startup(cqlVersion: "3.0.0")
        case "options": .options
        case "prepare": .prepare("INSERT INTO t (a) VALUES (?)")
        case "execute-int-null": .execute(id: [1, 2], QueryParameters(consistency: .one, values: [.int(7), .null]))
        case "execute-every-type":
            .execute(id: [0xAB, 0xCD, 0xEF], QueryParameters(consistency: .localQuorum, values: [
                .text("AAPL"), .int(-7), .bigint(1_732_480_000_123), .float(1.5), .double(187.51), .boolean(true),
                .timestamp(1_732_480_000_123), .uuid(uuid), .blob([0x00, 0xFF]), .textList(["1", "12"]), .null,
            ]))
        case "query": .query("SELECT * FROM t", QueryParameters(consistency: .localQuorum))
        case "query-paged": .query("SELECT * FROM t", QueryParameters(consistency: .quorum, pageSize: 5_000, pagingState: [1, 2, 3]))
        case "batch-unlogged":
            .batch(unlogged: true, [.query("INSERT INTO t (a) VALUES (?)", [.int(1)]), .prepared([0x0A, 0x0B], [.null])], .localQuorum)
        case "auth-response": .authResponse(Array("\u{0}user\u{0}pass".utf8))
        case "credentials": .credentials(username: "user", password: "pass")
        default: nil
        }
    }

    @Test func theFixtureIsThere() {
        #expect(Self.goldens.count == 33, "run scripts/cql-golden.py (pip install cassandra-driver==3.30.1)")
    }

    @Test(arguments: goldens.map { "\($0.name) v\($0.version)" })
    func requestsEncodeAsTheDriverEncodesThem(_ label: String) throws {
        let golden = try #require(Self.goldens.first { "\($0.name) v\($0.version)" == label })
        let request = try #require(Self.request(golden.name), "no request built for \(golden.name)")
        let version = try #require(ProtocolVersion(rawValue: golden.version))
        let frame = try request.frame(stream: golden.stream, version: version)
        #expect(frame.readableBytesView.map { String(format: "%02x", $0) }.joined() == golden.hex)
    }

    @Test func whatAVersionLacksIsRefusedBeforeSending() {
        #expect(throws: CQLProtocolError.self) {
            try CQLRequest.batch(unlogged: true, [.query("INSERT INTO t (a) VALUES (1)", [])], .one).frame(stream: 0, version: .v1)
        }
        #expect(throws: CQLProtocolError.self) {
            try CQLRequest.query("SELECT * FROM t", QueryParameters(consistency: .one, values: [.int(1)])).frame(stream: 0, version: .v1)
        }
        #expect(throws: CQLProtocolError.self) {
            try CQLRequest.query("SELECT * FROM t", QueryParameters(consistency: .one, pageSize: 10)).frame(stream: 0, version: .v1)
        }
        #expect(ProtocolVersion.v4.lower == .v3 && ProtocolVersion.v1.lower == nil)
    }
}
