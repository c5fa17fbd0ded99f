import StockpipeCore

/// The three stages, in the order records flow through them.
public enum PipelineStage: String, Codable, Sendable, CaseIterable {
    case ingest, validate, load

    /// The stages upstream of the first of `stages`: with `--drain`, those run in another process
    /// (or already ran), so an empty input topic means they are done.
    static func upstream(of stages: [PipelineStage]) -> [PipelineStage] {
        let first = allCases.first(where: stages.contains)
        return Array(allCases.prefix { $0 != first })
    }
}
