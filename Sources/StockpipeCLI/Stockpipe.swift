import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import StockpipeApp
import StockpipeCore
import StockpipePipeline

/// Everything this process measures, served at the dashboard's `/metrics`.
let metricsRegistry = PrometheusCollectorRegistry()

@main
struct Stockpipe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockpipe",
        abstract: "A real-time stock market data pipeline: source → staging → validate → stock_data | bad_stock_data → store.",
        discussion: "Settings come from defaults, then the YAML file (--config, $STOCKPIPE_CONFIG or ./stockpipe.yaml), "
            + "then STOCKPIPE_* environment variables, then flags; later wins.",
        version: "0.1.0",
        subcommands: [
            RunCommand.self, IngestCommand.self, ValidateCommand.self, LoadCommand.self, StatusCommand.self,
            ServeCommand.self, QueryCommand.self, ExportCommand.self, QuarantineCommand.self, SimulateCommand.self, BackfillCommand.self,
            TopicsCommand.self,
            SchemaCommand.self,
            SchedulerCommand.self, JobsCommand.self, QualityReportCommand.self, HealthCommand.self, CheckCommand.self, DevCommand.self,
        ],
        defaultSubcommand: RunCommand.self)

    /// Parses, runs, and turns every failure into one line on stderr and a non-zero exit.
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = EscapingLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["STOCKPIPE_LOG_LEVEL"] ?? "") ?? .info
            return handler
        }
        var factory = PrometheusMetricsFactory(registry: metricsRegistry)
        factory.durationHistogramBuckets = PipelineMetrics.histogramBuckets
        MetricsSystem.bootstrap(DocumentedMetricsFactory(base: factory, helpTexts: PipelineMetrics.helpTexts))
        OpenFileLimit.raiseToHardLimit()
        let code: Int32
        // Everything parsing throws is about the arguments (or asks for help or the version): the
        // parser throws only its own error type, internal to ArgumentParser, whatever went wrong.
        var parsed = false
        do {
            var command = try parseAsRoot()
            parsed = true
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch let error where ErrorText.sentence(for: error) != nil {
            printError(ErrorText.sentence(for: error) ?? "")
            code = 2
        } catch let error as ExitCode {
            code = error.rawValue
        } catch {
            let exit = exitCode(for: error)
            if exit == .success {
                print(fullMessage(for: error))
                code = 0
            } else if !parsed || error is ValidationError {
                printError(
                    message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments",
                    hint: "see `stockpipe help` for the commands and their options")
                code = exit.rawValue
            } else {
                printError(String(describing: error))
                code = 1
            }
        }
        Foundation.exit(code)
    }

    static func printError(_ message: String, hint: String? = nil) {
        let line = "stockpipe: error: \(message)" + (hint.map { " (\($0))" } ?? "") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
