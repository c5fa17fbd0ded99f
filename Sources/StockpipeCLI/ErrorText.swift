import StockpipeCassandra
import StockpipeCore
import StockpipeDashboard
import StockpipeFinnhub
import StockpipeKafka
import StockpipePipeline

/// What the command line prints for an error the user can act on: the library's sentence with the
/// flag or setting of this command line that fixes it. The libraries' errors are typed and speak
/// in their own terms; only here are they tied to flags.
enum ErrorText {
    /// The line for `error`, or nil for an error that is not the user's to fix (exit status 1).
    static func sentence(for error: any Error) -> String? {
        switch error {
        case let error as UserError: error.description
        case let error as SourceError: sentence(forSource: error)
        case let error as FinnhubError: sentence(forFinnhub: error)
        case let error as DashboardError: sentence(forDashboard: error)
        case let error as StageEndpointError: sentence(forMetrics: error)
        case let error as KafkaError where error.isUsersToFix: sentence(forKafka: error)
        case let error as CassandraStoreError: sentence(forCassandra: error)
        case let error as HeartbeatError: error.description
        default: nil
        }
    }

    static func sentence(forSource error: SourceError) -> String {
        switch error {
        case .cannotRead: "\(error); check the path given to --file"
        case .notARegularFile: "\(error); give an NDJSON file to --file"
        case .permissionDenied, .cannotOpen, .readFailed: error.description
        }
    }

    static func sentence(forFinnhub error: FinnhubError) -> String {
        switch error {
        case .noSymbols: "\(error); give them with --symbols A,B"
        case .tooManySymbols: "\(error); give fewer with --symbols, or raise finnhub.max-symbols if your plan allows more"
        default: error.description
        }
    }

    /// Kafka's errors are the user's to fix when the settings are the cause (``KafkaError/isUsersToFix``).
    static func sentence(forKafka error: KafkaError) -> String {
        switch error.kind {
        case .noBrokers: "\(error); pass --brokers host:port,..."
        case .unreachable: "\(error); check --brokers and that they are up"
        case .missingTopics(_, let brokers): "\(error); create them with `stockpipe topics create --brokers \(brokers)`"
        case .failed, .stopping: error.description
        }
    }

    static func sentence(forCassandra error: CassandraStoreError) -> String {
        switch error {
        case .noSchema: "\(error); create the schema with `stockpipe schema create --contact-points ...`"
        case .tooManyRows: error.description
        }
    }

    static let tokenSettings = "STOCKPIPE_DASHBOARD_TOKEN or dashboard-token"

    static func sentence(forDashboard error: DashboardError) -> String {
        switch error {
        case .portOutOfRange: "--port must be between 0 and 65535"
        case .weakToken(let problem): "the dashboard token (\(tokenSettings)) \(problem)"
        case .exposedWithoutToken(let host):
            "the dashboard on \(host) would be reachable from the network: set a token (\(tokenSettings)), or bind to 127.0.0.1"
        case .hostDoesNotResolve: error.description
        case .portInUse: "\(error); choose another with --port, or run with --no-dashboard"
        }
    }

    static func sentence(forMetrics error: StageEndpointError) -> String {
        switch error.reason {
        case .exposedWithoutToken:
            "\(error): set a token (\(tokenSettings); Prometheus sends it as a bearer token), or --metrics-host 127.0.0.1"
        case .portInUse, .portOutOfRange: "\(error); choose another with --metrics-port (or metrics-port), or leave it unset"
        case .weakToken(let problem): "the dashboard token (\(tokenSettings)), which the metrics endpoint requires too, \(problem)"
        case .hostDoesNotResolve: "\(error); check --metrics-host"
        }
    }
}
