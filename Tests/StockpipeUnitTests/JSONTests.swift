import Foundation
import StockpipeCore
import StockpipeJSON
import Testing

@Suite("JSON reader and writer")
struct JSONTests {
    func number(_ text: String) throws -> JSONNumber {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { buffer in
            var reader = JSONReader(UnsafeRawBufferPointer(buffer))
            let value = try reader.readNumber()
            let atEnd = reader.isAtEnd()
            #expect(atEnd)
            return value
        }
    }

    @Test(
        "numbers parse to the correctly rounded double",
        arguments: [
            "0", "150", "-7", "187.51", "0.1", "1e3", "1.5E-7", "123456789012345678", "95210.50", "1.0000000000000002",
            "2.2250738585072014e-308", "9007199254740993",
        ])
    func numbersMatchFoundation(text: String) throws {
        #expect(try number(text).double == Double(text)!)
    }

    @Test func wholeNumbersAreIntegers() throws {
        #expect(try number("150").integer == 150)
        #expect(try number("150.0").integer == 150)
        #expect(try number("1732480000123").integer == 1_732_480_000_123)
        #expect(try number("187.51").integer == nil)
    }

    @Test func nonFiniteTokensAreNumbers() throws {
        #expect(try number("NaN").double.isNaN)
        #expect(try number("Infinity").double == .infinity)
        #expect(try number("-Infinity").double == -.infinity)
        #expect(try number("1e999").double == .infinity)
    }

    @Test("malformed documents throw", arguments: ["01", "1.", "-", "1e", #""abc"#, "{\"a\":}", "[1,]", "{\"a\" 1}", "tru"])
    func malformedThrows(text: String) {
        var bytes = Array(text.utf8)
        #expect(throws: JSONError.self) {
            try bytes.withUnsafeMutableBytes { buffer in
                var reader = JSONReader(UnsafeRawBufferPointer(buffer))
                try reader.skipValue()
                if !reader.isAtEnd() { throw JSONError(offset: reader.index) }
            }
        }
    }

    @Test func stringsResolveEscapes() throws {
        var bytes = Array(#""a\"b\\c\n\u00e9\ud83d\ude00""#.utf8)
        let value = try bytes.withUnsafeMutableBytes { buffer in
            var reader = JSONReader(UnsafeRawBufferPointer(buffer))
            return try reader.readString()
        }
        #expect(value == "a\"b\\c\né😀")
    }

    @Test func nestedWalkingHandlesEmptyContainers() throws {
        var bytes = Array(#"{"c":[],"o":{},"p":1,"a":[{"x":[]},{}]}"#.utf8)
        var keys: [String] = []
        try bytes.withUnsafeMutableBytes { buffer in
            var reader = JSONReader(UnsafeRawBufferPointer(buffer))
            try reader.beginObject()
            while let key = try reader.nextKey() {
                keys.append(key.string)
                if key == "c" {
                    try reader.beginArray()
                    let hasElement = try reader.hasNextElement()
                    #expect(!hasElement)
                } else if key == "o" {
                    try reader.beginObject()
                    let firstKey = try reader.nextKey()
                    #expect(firstKey == nil)
                } else {
                    try reader.skipValue()
                }
            }
        }
        #expect(keys == ["c", "o", "p", "a"])
    }

    @Test func writerOutputIsValidJSON() throws {
        var writer = JSONWriter()
        writer.objectStart()
        writer.key("whole"); writer.number(150)
        writer.key("fraction"); writer.number(187.51)
        writer.key("text"); writer.string("quote \" backslash \\ newline \n control \u{01}")
        writer.key("list"); writer.arrayStart(); writer.integer(-3); writer.null(); writer.bool(true); writer.arrayEnd()
        writer.objectEnd()
        #expect(writer.string.hasPrefix(#"{"whole":150,"fraction":187.51,"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(parsed["text"] as? String == "quote \" backslash \\ newline \n control \u{01}")
        #expect((parsed["list"] as? [Any])?.count == 3)
    }

    /// The load stage takes a trade handed over in memory instead of reading its `stock_data`
    /// value; the two must be the same trade, whatever its numbers.
    @Test func aTradeReadsBackAsWritten() throws {
        var generator = SystemRandomNumberGenerator()
        let edges: [Double] = [
            -0.0, 0, 1e-6, 1e-7, .leastNonzeroMagnitude, 0.1, 0.07596, 1 / 3, 119.99, 9.999_999e8, 1e9, 1e15, 1e15 + 1, 9.007_199_254_740_993e15,
            1.7976931348623157e308, 123_456_789.123_456_79,
        ]
        let randoms = (0..<20_000).map { _ in
            Double(bitPattern: UInt64.random(in: 0x0010_0000_0000_0000...0x7FEF_FFFF_FFFF_FFFF, using: &generator))
        }
        let decimals = (0..<20_000).map { _ in Double(Int.random(in: 1...100_000_000, using: &generator)) / 10_000 }
        let conditions: [[String]] = [[], ["1"], ["1", "12"], ["é\"\\\n\u{0}"], ["🙂", ""]]
        for (index, number) in (edges + randoms + decimals).enumerated() {
            let trade = Trade(
                symbol: index % 2 == 0 ? "AAPL" : "BINANCE:BTCUSDT", price: number, volume: edges[index % edges.count],
                timestamp: Int64(index) * 7_919 - 1, conditions: conditions[index % conditions.count],
                id: TradeID(high: UInt64(index), low: .max - UInt64(index)))
            let read = try Trade(json: trade.json())
            #expect(read == trade.asWritten, "\(trade)")
            #expect(read.price.sign == trade.asWritten.price.sign && read.volume.sign == trade.asWritten.volume.sign)
        }
    }
}
