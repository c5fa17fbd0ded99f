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
}
