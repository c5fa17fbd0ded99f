import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import StockpipeCore
import StockpipeFinnhubServer
import StockpipeKafka
import StockpipePipeline

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Local stand-ins for external services, for demos and development.",
        subcommands: [Kafka.self, FinnhubServerCommand.self])

    struct Kafka: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run librdkafka's mock Kafka cluster (in memory, a few MiB per partition) with the pipeline's topics, "
                + "until interrupted; prints the --brokers value to use.")

        @Option(help: ArgumentHelp("Brokers in the cluster.", valueName: "N")) var brokers: Int32 = 3
        @Option(help: ArgumentHelp("Partitions per topic.", valueName: "N")) var partitions: Int32 = 6

        func run() async throws {
            guard (1...10).contains(brokers) else { throw UserError("--brokers must be between 1 and 10") }
            guard (1...64).contains(partitions) else { throw UserError("--partitions must be between 1 and 64") }
            let cluster = try KafkaMockCluster(brokers: brokers)
            for spec in TopicSpec.pipeline(partitions: partitions, replicationFactor: Int16(min(3, brokers))) {
                try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: Int32(spec.replicationFactor))
            }
            FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
            FileHandle.standardError.write(
                Data(
                    "stockpipe: mock Kafka cluster of \(brokers) brokers at \(cluster.bootstrapServers) with topics \(Topic.all.joined(separator: ", ")); Ctrl-C stops it\n"
                        .utf8))
            await waitForTerminationSignal()
            cluster.close()
        }
    }
}

/// Returns on SIGINT or SIGTERM.
func waitForTerminationSignal() async {
    struct UntilSignalled: Service {
        func run() async throws { try? await gracefulShutdown() }
    }
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: UntilSignalled())], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "stockpipe.dev")))
    try? await group.run()
}

struct FinnhubServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finnhub-server",
        abstract: "A Finnhub-compatible server fed by the simulator (REST quotes and the WebSocket trade stream), "
            + "with fault injection; point stockpipe at it with finnhub.ws-url and finnhub.rest-url.")

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "HOST")) var host = "127.0.0.1"
    @Option(help: ArgumentHelp("Port to listen on (0: any free one).", valueName: "P")) var port = 8090
    @Option(help: ArgumentHelp("The only API key to accept (default: any).", valueName: "TOKEN")) var token: String?
    @Option(help: ArgumentHelp("Simulated trades per second per connection.", valueName: "N")) var rate: Double = 200
    @Option(help: ArgumentHelp("Simulator seed.", valueName: "N")) var seed: UInt64 = 1
    @Option(name: .customLong("drop-every"), help: ArgumentHelp("Close each WebSocket after N messages.", valueName: "N"))
    var dropEvery: Int?
    @Option(name: .customLong("stall-after"), help: ArgumentHelp("Go silent (connection open) after N messages.", valueName: "N"))
    var stallAfter: Int?
    @Option(name: .customLong("malformed-every"), help: ArgumentHelp("Send a frame that is not JSON every N messages.", valueName: "N"))
    var malformedEvery: Int?
    @Option(name: .customLong("max-symbols"), help: ArgumentHelp("Subscriptions per connection before the symbol-limit error.", valueName: "N"))
    var maxSymbols = 50
    @Option(name: .customLong("calls-per-minute"), help: ArgumentHelp("REST calls a minute before 429s.", valueName: "N"))
    var callsPerMinute = 60
    @Option(name: .customLong("calls-per-second"), help: ArgumentHelp("REST calls a second before 429s.", valueName: "N"))
    var callsPerSecond = 30
    @Option(name: .customLong("unavailable-first"), help: ArgumentHelp("Answer the first N REST calls with 503.", valueName: "N"))
    var unavailableFirst = 0
    @Option(name: .customLong("text-every"), help: ArgumentHelp("Answer every N-th REST call with a plain-text 200.", valueName: "N"))
    var textEvery: Int?
    @Option(
        name: .customLong("echo-every"),
        help: ArgumentHelp("Answer every N-th REST call with an error echoing the request, key included.", valueName: "N"))
    var echoEvery: Int?
    @Flag(name: .customLong("candles-forbidden"), help: "Answer /stock/candle with 403, as for a plan without it.")
    var candlesForbidden = false
    @Option(name: .customLong("bad-candle-every"), help: ArgumentHelp("Make every N-th candle's high fall below its low.", valueName: "N"))
    var badCandleEvery: Int?
    @Option(name: .customLong("slow-ms"), help: ArgumentHelp("Delay every REST answer.", valueName: "MS")) var slowMilliseconds: Int?
    @Option(name: .customLong("tls-certificate"), help: ArgumentHelp("PEM certificate: serve HTTPS and WSS.", valueName: "F"))
    var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of that certificate.", valueName: "F"))
    var tlsKey: String?

    func run() async throws {
        for case (let flag, let value?) in [
            ("--drop-every", dropEvery), ("--stall-after", stallAfter), ("--malformed-every", malformedEvery), ("--text-every", textEvery),
            ("--echo-every", echoEvery),
            ("--bad-candle-every", badCandleEvery), ("--max-symbols", maxSymbols),
            ("--calls-per-minute", callsPerMinute), ("--calls-per-second", callsPerSecond),
        ] where value < 1 {
            throw UserError("\(flag) must be at least 1")
        }
        guard rate > 0, rate.isFinite, rate <= 1_000_000 else { throw UserError("--rate must be above 0 and at most 1000000") }
        guard (0...65_535).contains(port) else { throw UserError("--port must be between 0 and 65535") }
        if let slowMilliseconds, slowMilliseconds < 0 { throw UserError("--slow-ms must not be negative") }
        var configuration = FinnhubServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.token = token
        configuration.rate = rate
        configuration.seed = seed
        configuration.faults.dropEvery = dropEvery
        configuration.faults.malformedEvery = malformedEvery
        configuration.faults.stallAfter = stallAfter
        configuration.faults.maxSymbols = maxSymbols
        configuration.faults.callsPerMinute = callsPerMinute
        configuration.faults.callsPerSecond = callsPerSecond
        configuration.faults.textEvery = textEvery
        configuration.faults.echoEvery = echoEvery
        configuration.faults.unavailableFirst = max(0, unavailableFirst)
        configuration.faults.candlesForbidden = candlesForbidden
        configuration.faults.badCandleEvery = badCandleEvery
        configuration.faults.slowResponses = slowMilliseconds.map { .milliseconds($0) }
        switch (tlsCertificate, tlsKey) {
        case (let certificate?, let key?): configuration.tls = (certificate, key)
        case (nil, nil): break
        default: throw UserError("--tls-certificate and --tls-key go together")
        }
        let server = FinnhubServer(configuration)
        let scheme = configuration.tls == nil ? ("http", "ws") : ("https", "wss")
        let task = Task { try await server.run(shutdownSignals: [.sigint, .sigterm]) }
        for _ in 0..<100 where server.port == nil {
            if task.isCancelled { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let bound = server.port else {
            task.cancel()
            let failure = await { () async -> (any Error)? in
                do { try await task.value; return nil } catch { return error }
            }()
            if let failure = failure as? IOError, failure.errnoCode == EADDRINUSE {
                throw UserError("port \(port) on \(host) is in use; choose another with --port (0 picks a free one)")
            }
            throw UserError("the Finnhub server did not start on \(host):\(port): \(failure.map { "\($0)" } ?? "it stopped")")
        }
        FileHandle.standardOutput.write(
            Data("finnhub.ws-url: \(scheme.1)://\(host):\(bound)\nfinnhub.rest-url: \(scheme.0)://\(host):\(bound)/api/v1\n".utf8))
        say("Finnhub-compatible server on \(host):\(bound); Ctrl-C stops it")
        try await task.value
        let stats = server.stats
        say(
            "served \(stats.connections) stream connections, \(stats.messages) messages, \(stats.restCalls) REST calls "
                + "(\(stats.rateLimited) answered 429)")
    }
}
