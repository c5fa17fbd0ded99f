import StockpipeJSON

/// A trade's conditions as stored: a JSON array of strings, readable by any SQLite or CQL client.
package enum ConditionsText {
    package static func encode(_ conditions: [String]) -> String {
        switch conditions.count {
        case 0: return "[]"
        case 1 where conditions[0].utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }):
            return "[\"" + conditions[0] + "\"]"
        default:
            var writer = JSONWriter(capacity: 16)
            writer.arrayStart()
            for condition in conditions { writer.string(condition) }
            writer.arrayEnd()
            return writer.string
        }
    }

    /// The conditions that can be read; anything else (damage) is left out.
    package static func decode(_ text: String) -> [String] {
        var bytes = Array(text.utf8)
        var conditions: [String] = []
        bytes.withUnsafeMutableBytes { buffer in
            var reader = JSONReader(UnsafeRawBufferPointer(buffer))
            try? reader.forEachElement { conditions.append(try $0.readString()) }
        }
        return conditions
    }
}
