import StockpipeJSON
import Testing

/// The documents' JSON form: `Encodable` types written through ``JSONWriter``.
@Suite("JSON output")
struct JSONOutputTests {
    struct Inner: Encodable {
        var name: String
        var values: [Double]
    }

    struct Document: Encodable {
        var symbol: String
        var price: Double
        var change: Double
        var volume: Int64
        var missing: Int?
        @NullWhenAbsent var vwap: Double?
        var inner: Inner
        var counts: [String: Int]
        var rows: [Inner]
        var empty: [Int]
    }

    struct Extra: Encodable {
        var pipeline: Bool
    }

    let document = Document(
        symbol: "BINANCE:BTC/USDT \"x\"", price: 0.000_012_34, change: -0.0, volume: 7, missing: nil, vwap: nil,
        inner: Inner(name: "a", values: [1.5, .infinity, -.nan]), counts: ["z": 1, "a": 2, "m": 3],
        rows: [Inner(name: "r1", values: []), Inner(name: "r2", values: [2])], empty: [])

    /// Members in the type's order, a dictionary by key, numbers as the topics write them: a small
    /// one without an exponent, -0 as 0, a non-finite one as null.
    @Test func documentsAreWrittenInOrderWithTheTopicsNumbers() throws {
        #expect(
            try JSONOutput.string(document)
                == #"{"symbol":"BINANCE:BTC/USDT \"x\"","price":0.00001234,"change":0,"volume":7,"vwap":null,"#
                + #""inner":{"name":"a","values":[1.5,null,null]},"counts":{"a":2,"m":3,"z":1},"#
                + #""rows":[{"name":"r1","values":[]},{"name":"r2","values":[2]}],"empty":[]}"#)
    }

    /// Two documents merged are one object; top-level arrays and scalars stand alone.
    @Test func mergedDocumentsAndBareValues() throws {
        #expect(
            try JSONOutput.string(JSONMerged(Inner(name: "b", values: []), Extra(pipeline: true)))
                == #"{"name":"b","values":[],"pipeline":true}"#)
        #expect(try JSONOutput.string([Extra(pipeline: false), Extra(pipeline: true)]) == #"[{"pipeline":false},{"pipeline":true}]"#)
        #expect(try JSONOutput.string(["b": [1, 2], "a": []]) == #"{"a":[],"b":[1,2]}"#)
        #expect(try JSONOutput.string(Optional<Int>.none) == "null")
        #expect(try JSONOutput.string("x") == #""x""#)
    }
}
