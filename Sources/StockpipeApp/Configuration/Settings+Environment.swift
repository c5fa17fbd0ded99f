import StockpipeCore

extension Settings {
    /// `STOCKPIPE_*` variables that stockpipe and its scripts read for something other than a setting
    /// (the last two: where scripts/cassandra-1.2.sh finds its jar, and the JVM options it adds).
    static let otherEnvironmentVariables: Set<String> = [
        "STOCKPIPE_CONFIG", "STOCKPIPE_LOG_LEVEL", "STOCKPIPE_BIN", "STOCKPIPE_DAG_SCHEDULE",
        "STOCKPIPE_CASSANDRA_JAR", "STOCKPIPE_CASSANDRA_JAVA_OPTS",
    ]

    /// `STOCKPIPE_*` variables that name no setting, each with the nearest name that does, if one is close:
    /// a misspelt variable is otherwise silently ignored.
    public static func unknownEnvironmentVariables(_ environment: [String: String]) -> [(name: String, suggestion: String?)] {
        let known = Set(environmentKeys.keys).union(otherEnvironmentVariables).sorted()
        let unknown = environment.keys.sorted().filter { name in
            name.hasPrefix("STOCKPIPE_") && !name.hasPrefix("STOCKPIPE_BENCH_") && !known.contains(name)
        }
        return unknown.map { name -> (name: String, suggestion: String?) in
            var best: (name: String, distance: Int)?
            for candidate in known {
                let distance = editDistance(name, candidate)
                if distance <= 2 && distance < (best?.distance ?? .max) { best = (candidate, distance) }
            }
            return (name, best?.name)
        }
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a.utf8), Array(b.utf8))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                let substitution = previous[j] + (x == y ? 0 : 1)
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
