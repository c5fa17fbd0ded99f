import Yams

/// Finds YAML aliases in a configuration file's text before the YAML library expands them.
enum YAMLAliases {
    /// The 1-based line of the first alias (`*name` where a value starts), outside quotes and comments; nil if none.
    /// A `*` inside a plain value (`a *b`) is text to YAML and is not taken for an alias.
    static func firstAliasLine(in text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var quote: Character?
            var previous: Character?
            var valueStart = true  // at a place where a YAML node may begin
            var characters = Array(line)
            if characters.last == "\r" { characters.removeLast() }
            var position = 0
            while position < characters.count {
                let character = characters[position]
                defer { previous = character; position += 1 }
                if let open = quote {
                    if character == open {
                        if open == "'" && position + 1 < characters.count && characters[position + 1] == "'" { position += 1; continue }
                        quote = nil
                    } else if open == "\"" && character == "\\" {
                        position += 1
                    }
                    continue
                }
                if character == "#" && (previous == nil || previous == " " || previous == "\t") { break }
                if valueStart {
                    switch character {
                    case " ", "\t", "-", "[", "{", ",", "?", ":": continue
                    case "*": return index + 1
                    case "\"", "'": quote = character; valueStart = false; continue
                    case "!", "&":
                        // A tag or an anchor comes before the node itself: skip to its end.
                        while position + 1 < characters.count && characters[position + 1] != " " { position += 1 }
                        continue
                    default: valueStart = false
                    }
                }
                // A flow indicator or a key's colon starts a new node.
                if "[{,".contains(character) || (character == ":" && (position + 1 == characters.count || characters[position + 1] == " ")) {
                    valueStart = true
                }
            }
        }
        return nil
    }

    /// The 1-based line of the first mapping key in `node` that is not a scalar on one line
    /// (a list, a mapping, or a block of lines); nil if every key is one.
    static func firstNonScalarKeyLine(in node: Node) -> Int? {
        switch node {
        case .scalar, .alias: return nil
        case .sequence(let sequence):
            for item in sequence {
                if let line = firstNonScalarKeyLine(in: item) { return line }
            }
            return nil
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key, !scalar.string.contains(where: \.isNewline) else {
                    return key.mark?.line ?? mapping.mark?.line ?? 1
                }
                if let line = firstNonScalarKeyLine(in: value) { return line }
            }
            return nil
        }
    }

    /// Counts `node`'s values, aliases expanded, and answers false as soon as there are more than `budget`.
    static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let sequence):
            for item in sequence where !fits(item, budget: &budget) { return false }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping where !fits(key, budget: &budget) || !fits(value, budget: &budget) { return false }
            return true
        }
    }
}
