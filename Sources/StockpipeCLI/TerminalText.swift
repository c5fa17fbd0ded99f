/// Text from outside (a feed's bytes, a stored symbol, a server's message) made safe to print on a
/// terminal: C0 and C1 control characters, DEL and the Unicode line separators are written as `\n`,
/// `\r`, `\t` or `\u{XX}`, so that it can neither forge a line nor drive the terminal with an
/// escape sequence. The `--json` outputs need none of this: the JSON writer escapes them.
enum TerminalText {
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Each line of `text` escaped, the line breaks between them kept: for a report made of lines
    /// some of which hold text from outside.
    static func escapedLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escaped(String($0)) }.joined(separator: "\n")
    }

    /// A JSON document with the controls the JSON writer leaves as they are (DEL, C1, U+2028 and
    /// U+2029: valid in JSON strings, but a terminal may act on C1) written as `\uXXXX` escapes. They
    /// can only be inside strings, so the document means the same.
    static func escapedJSON(_ json: String) -> String {
        // Not C0: the writer escapes those inside strings, and a newline outside one is layout.
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x7F && Self.isControl(scalar) }
        guard json.unicodeScalars.contains(where: isControl) else { return json }
        var result = ""
        result.reserveCapacity(json.utf8.count + 8)
        for scalar in json.unicodeScalars {
            if isControl(scalar) {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
