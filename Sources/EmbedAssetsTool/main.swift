import Foundation

/// Writes a Swift file that holds each input file's text as a string constant of `enum EmbeddedAssets`,
/// so a target carries its assets in the binary and reads no files at run time. The EmbedAssets build-tool
/// plugin runs it on every build whose assets changed.
///
///     EmbedAssetsTool OUTPUT.swift INPUT...
///
/// Each input becomes a multi-line raw string literal with one more `#` than the longest run of `#` in it,
/// so no text in it can end the literal or start an escape: the constant's UTF-8 is the file's bytes. A file
/// that is not UTF-8, or holds a carriage return or another control character but tab and newline (which a
/// Swift literal would change or reject), stops the build. The constant's name is the file's name in lower
/// camel case: `dashboard.js` becomes `dashboardJs`.
struct EmbedAssetsTool {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let output = arguments.first else {
            fail("usage: EmbedAssetsTool OUTPUT.swift INPUT...")
        }
        do {
            var swift = "// Generated at build time by the EmbedAssets plugin from the target's Assets folder: edit those files.\n\n"
            swift += "/// The files of the target's `Assets` folder, as they are in the repository.\n"
            swift += "enum EmbeddedAssets {\n"
            for input in arguments.dropFirst() {
                swift += try constant(for: URL(fileURLWithPath: input))
            }
            swift += "}\n"
            try Data(swift.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            fail("EmbedAssetsTool: \(error)")
        }
    }

    /// One `static let`: a `///` line naming the file, then its text in a raw string literal.
    static func constant(for file: URL) throws -> String {
        let name = file.lastPathComponent
        guard let text = String(data: try Data(contentsOf: file), encoding: .utf8) else {
            throw Failure(description: "\(name) is not UTF-8")
        }
        if let bad = text.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || $0.value == 0x7F }) {
            throw Failure(description: "\(name) holds the control character U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        var longest = 0
        var run = 0
        for character in text.unicodeScalars {
            run = character == "#" ? run + 1 : 0
            longest = max(longest, run)
        }
        let hashes = String(repeating: "#", count: longest + 1)
        return "    /// `\(name)`\n    static let \(identifier(name)) = \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)\n"
    }

    /// `dashboard.js` → `dashboardJs`; a name that starts with a digit gets a leading `_`.
    static func identifier(_ fileName: String) -> String {
        let words = fileName.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.map(String.init)
        let name = words.enumerated().map { $0 == 0 ? $1.prefix(1).lowercased() + $1.dropFirst() : $1.prefix(1).uppercased() + $1.dropFirst() }
            .joined()
        return name.first?.isNumber == false ? name : "_" + name
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }
}

EmbedAssetsTool.main()
