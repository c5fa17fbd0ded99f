import Foundation

/// What the deployment tests read from a Dockerfile: its stages, and in each the instructions, the
/// exec-form ENTRYPOINT, CMD and HEALTHCHECK, the ENV and the USER.
struct Dockerfile {
    struct Stage {
        var name: String
        var instructions: [String] = []
        var environment: [String: String] = [:]
        var user: String?
        var entrypoint: [String]?
        var command: [String]?
        var healthCheck: [String]?
    }

    var stages: [Stage] = []
    var runtime: Stage { stages[stages.count - 1] }

    static func read(_ path: String) throws -> Dockerfile {
        var dockerfile = Dockerfile()
        var pending = ""
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || (trimmed.isEmpty && pending.isEmpty) { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
                continue
            }
            let instruction = pending + trimmed
            pending = ""
            if !instruction.isEmpty { try dockerfile.add(instruction) }
        }
        return dockerfile
    }

    private mutating func add(_ instruction: String) throws {
        let keyword = instruction.split(separator: " ").first.map { $0.uppercased() } ?? ""
        let rest = String(instruction.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces)
        if keyword == "FROM" {
            let words = rest.split(separator: " ")
            stages.append(Stage(name: words.count == 3 && words[1].uppercased() == "AS" ? String(words[2]) : "stage\(stages.count)"))
            return
        }
        guard !stages.isEmpty else { return }  // ARG before the first FROM
        stages[stages.count - 1].instructions.append(instruction)
        switch keyword {
        case "ENV":
            for pair in rest.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { stages[stages.count - 1].environment[parts[0]] = parts[1] }
            }
        case "USER": stages[stages.count - 1].user = rest
        case "ENTRYPOINT": stages[stages.count - 1].entrypoint = try Self.execForm(rest)
        case "CMD": stages[stages.count - 1].command = try Self.execForm(rest)
        case "HEALTHCHECK":
            if let range = rest.range(of: " CMD ") { stages[stages.count - 1].healthCheck = try Self.execForm(String(rest[range.upperBound...])) }
        default: break
        }
    }

    /// The packages a stage's `apt-get install` lines name.
    func installedPackages(in stage: Stage) -> [String] {
        stage.instructions.filter { $0.hasPrefix("RUN ") }.flatMap { run in
            run.components(separatedBy: "&&").compactMap { command -> [String]? in
                let words = command.split(separator: " ").map(String.init)
                guard let install = words.firstIndex(of: "install"), words[..<install].contains("apt-get") else { return nil }
                return words[(install + 1)...].filter { !$0.hasPrefix("-") }
            }.flatMap { $0 }
        }
    }

    /// `["a", "b"]`, the form that runs without a shell.
    static func execForm(_ text: String) throws -> [String]? {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
    }
}
