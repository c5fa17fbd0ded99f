import Foundation
import NIOCore
import StockpipeCQL
import StockpipeCore
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
            .execute(
                id: [0xAB, 0xCD, 0xEF],
                QueryParameters(
                    consistency: .localQuorum,
                    values: [
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

/// Responses built with the driver's writers (and checked by its decoder), read by ours.
@Suite("CQL responses")
struct CQLResponseTests {
    static let goldens: [CQLFrameTests.Golden] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cql-responses.json")
        return (try? JSONDecoder().decode([CQLFrameTests.Golden].self, from: Data(contentsOf: url))) ?? []
    }()

    @Test func anotherProtocolOnThePortIsNamedAsSuch() {
        var http = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n")
        #expect(
            throws: CQLProtocolError(
                "the server does not speak the CQL native protocol (its first byte is 0x48 ('H')); check the contact point's port (CQL listens on 9042 by default)"
            )
        ) {
            try FrameHeader.read(from: &http)
        }
        var future = ByteBuffer(bytes: [0x86, 0, 0, 0, 0x02, 0, 0, 0, 0])
        #expect(throws: CQLProtocolError("the server speaks protocol version 6, which this client does not")) {
            try FrameHeader.read(from: &future)
        }
    }

    func decode(_ name: String, version: UInt8) throws -> CQLResponse {
        let golden = try #require(Self.goldens.first { $0.name == name && $0.version == version }, "no fixture \(name) v\(version)")
        var buffer = ByteBuffer(
            bytes: stride(from: 0, to: golden.hex.count, by: 2).map { offset -> UInt8 in
                let start = golden.hex.index(golden.hex.startIndex, offsetBy: offset)
                return UInt8(golden.hex[start..<golden.hex.index(start, offsetBy: 2)], radix: 16)!
            })
        let header = try #require(try FrameHeader.read(from: &buffer))
        #expect(header.isResponse && header.stream == golden.stream && header.version.rawValue == version)
        #expect(Int(header.length) == buffer.readableBytes)
        let response = try CQLResponse.decode(opcode: header.opcode, body: &buffer, version: header.version)
        #expect(buffer.readableBytes == 0, "\(name) v\(version): bytes left over")
        return response
    }

    @Test func handshakeAnswers() throws {
        #expect(Self.goldens.count == 17)
        #expect(try decode("ready", version: 4) == .ready)
        #expect(try decode("authenticate", version: 4) == .authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator"))
        #expect(try decode("supported", version: 4) == .supported(["CQL_VERSION": ["3.4.5"], "COMPRESSION": ["lz4", "snappy"]]))
        guard case .error(let refusal) = try decode("error-protocol", version: 1) else { Issue.record("not an error"); return }
        #expect(refusal.kind == .protocolError)
    }

    @Test func errorsCarryWhatTheirKindAdds() throws {
        guard case .error(let unavailable) = try decode("error-unavailable", version: 4),
            case .error(let timeout) = try decode("error-write-timeout", version: 4),
            case .error(let syntax) = try decode("error-syntax", version: 4)
        else { Issue.record("not errors"); return }
        #expect(unavailable.kind == .unavailable(consistency: 6, required: 2, alive: 1))
        #expect(unavailable.description.contains("1 of the 2 needed") && unavailable.isRetryable)
        #expect(timeout.kind == .writeTimeout(consistency: 6, received: 1, blockFor: 2, writeType: "BATCH"))
        #expect(syntax.kind == .syntaxError && !syntax.isRetryable)
    }

    @Test(arguments: [UInt8(4), 3, 1])
    func rowsDecodeWithTheirTypes(version: UInt8) throws {
        guard case .result(.rows(let rows)) = try decode("result-rows", version: version) else { Issue.record("not rows"); return }
        let protocolVersion = try #require(ProtocolVersion(rawValue: version))
        #expect(rows.columns.map(\.name) == ["symbol", "ts", "price", "conditions"])
        #expect(rows.columns.map(\.type) == [.varchar, .timestamp, .double, .list(.varchar)])
        #expect(rows.pagingState == (version == 4 ? [7, 8] : nil))
        let values = try rows.rows.map { row in
            try zip(row, rows.columns).map { try CQLValue.decode($0, as: $1.type, version: protocolVersion) }
        }
        #expect(
            values == [
                [.text("AAPL"), .timestamp(1_732_480_000_123), .double(187.51), .textList(["1", "12"])],
                [.text("MSFT"), .timestamp(1_732_480_000_456), .double(421.5), .null],
            ])
    }

    @Test(arguments: [UInt8(4), 2, 1])
    func preparedStatementsDecode(version: UInt8) throws {
        guard case .result(.prepared(let id, let variables, let result)) = try decode("result-prepared", version: version) else {
            Issue.record("not prepared"); return
        }
        #expect(id == [0x0A, 0x0B, 0x0C])
        #expect(variables.map(\.name) == ["symbol", "ts"] && variables.allSatisfy { $0.keyspace == "stock_data" && $0.table == "trades" })
        #expect(result.isEmpty)
    }

    @Test func otherResults() throws {
        #expect(try decode("result-void", version: 4) == .result(.void))
        #expect(try decode("result-set-keyspace", version: 4) == .result(.setKeyspace("stock_data")))
        #expect(try decode("result-schema-change", version: 4) == .result(.schemaChange(change: "CREATED TABLE", keyspace: "stock_data")))
        #expect(try decode("result-schema-change", version: 1) == .result(.schemaChange(change: "CREATED", keyspace: "stock_data")))
    }
}
