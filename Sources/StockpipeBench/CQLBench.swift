import Foundation
import NIOCore
import StockpipeCQL
import StockpipeCore

/// The CQL codec alone: EXECUTE frames of the store's trade insert, encoded for v1 and v4, and a
/// ROWS response of trade keys (the read before each write) decoded.
@MainActor func benchCQLCodec(records: Int) async throws {
    let values: [CQLValue] = [
        .text("AAPL"), .text("2024-11-24"), .timestamp(1_732_480_000_000), .blob(Array(repeating: 0xAB, count: 16)),
        .double(187.51), .double(100), .bigint(-4_242_424_242), .text("[\"1\",\"12\"]"),
    ]
    let id = Array(repeating: UInt8(7), count: 16)
    for version in [ProtocolVersion.v1, .v4] {
        var bytes = 0
        try await measure("cql encode EXECUTE (8 values, \(version))", records: records) {
            for index in 0..<records {
                let request = CQLRequest.execute(id: id, QueryParameters(consistency: .localQuorum, values: values))
                bytes += try request.frame(stream: Int16(index & 0x7F), version: version).readableBytes
            }
        }
        if bytes == 0 { print("nothing encoded") }
    }

    // RESULT ROWS: ts timestamp, id blob, source_hash bigint; 5,000 rows a page.
    let rowsPerPage = 5_000
    var body = ByteBuffer()
    body.writeInteger(Int32(2))  // rows
    body.writeInteger(Int32(1))  // global table spec
    body.writeInteger(Int32(3))
    for text in ["stock_data", "trades"] { body.writeInteger(UInt16(text.utf8.count)); body.writeString(text) }
    for (name, type) in [("ts", UInt16(0x000B)), ("id", 0x0003), ("source_hash", 0x0002)] {
        body.writeInteger(UInt16(name.utf8.count)); body.writeString(name); body.writeInteger(type)
    }
    body.writeInteger(Int32(rowsPerPage))
    for row in 0..<rowsPerPage {
        body.writeInteger(Int32(8)); body.writeInteger(Int64(1_732_480_000_000 + row))
        body.writeInteger(Int32(16)); body.writeBytes(Array(repeating: UInt8(row & 0xFF), count: 16))
        body.writeInteger(Int32(8)); body.writeInteger(Int64(row))
    }
    let pages = max(1, records / rowsPerPage)
    var sum: Int64 = 0
    try await measure("cql decode ROWS (3 columns, v4)", records: pages * rowsPerPage) {
        for _ in 0..<pages {
            var page = body
            guard case .result(.rows(let rows)) = try CQLResponse.decode(opcode: .result, body: &page, version: .v4) else {
                fatalError("not rows")
            }
            for row in rows.cells { sum &+= try row.int64(0) &+ row.int64(2) }
        }
    }
    if sum == 0 { print("nothing decoded") }
}
