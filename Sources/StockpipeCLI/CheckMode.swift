import ArgumentParser
import Foundation
import StockpipeApp
import StockpipeCore
import StockpipePipeline

/// `--check`: a command goes as far as it can without connecting anywhere, so that a command line in a
/// Compose file, a Dockerfile or an Airflow DAG can be proven right before anything is deployed.
extension CommonOptions {
    /// Ends a `--check` run here: every command calls this after its own checks and before its first
    /// connection. Prints `ok: PLAN` and exits 0; without `--check` it does nothing.
    ///
    /// ```
    /// $ stockpipe validate --brokers kafka-1:9092 --store cassandra --contact-points cassandra:9042 --check
    /// ok: running the validate stage (log: Kafka at kafka-1:9092 · store: Cassandra at cassandra:9042 ...); Ctrl-C stops
    /// ```
    func checkpoint(_ plan: @autoclosure () -> String) throws {
        guard check else { return }
        let unknown = Settings.unknownEnvironmentVariables(ProcessInfo.processInfo.environment)
        if let first = unknown.first {
            throw UserError(
                "environment variable \(first.name) is not a stockpipe setting"
                    + (first.suggestion.map { "; did you mean \($0)?" } ?? "; see the README's configuration section"))
        }
        print("ok: \(plan())")
        throw ExitCode.success
    }

    /// The settings, for a command that needs nothing else checked: a `--check` run ends here.
    func settings(checking plan: String) throws -> Settings {
        let settings = try settings()
        try checkpoint("\(plan) (\(settings.backendsSummary))")
        return settings
    }
}

extension Settings {
    /// Where this process's log and store are, in words, each as its backend's settings say (no
    /// secrets: the Cassandra password and the tokens are never part of it).
    var backendsSummary: String {
        "log: \(logSettings.summary(dataDirectory: dataDirectory)) · store: \(storeSettings.summary(dataDirectory: dataDirectory))"
    }
}
