// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

/// Products of the dependencies that several targets use, named once.
enum Library {
    static let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
    static let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
    static let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
    static let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
    static let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
    static let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
    static let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
    static let webSocketClient: Target.Dependency = .product(name: "WSClient", package: "swift-websocket")
    static let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
    static let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
    static let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")
    static let histogram: Target.Dependency = .product(name: "Histogram", package: "hdrhistogram-swift")
}

let package = Package(
    name: "stockpipe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stockpipe", targets: ["StockpipeCLI"]),
        .executable(name: "stockpipe-bench", targets: ["StockpipeBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Byte-level JSON reading and writing, tuned for the feed's small messages.
        .target(name: "StockpipeJSON", swiftSettings: strict),
        // The core: records, reason codes, trade identity, the wire formats of the topics, and the
        // interfaces every backend implements (`Log`, `Store`, `FeedSource`). No backend library.
        // The JSON Schemas of the topics' records (Assets) are compiled in by the EmbedAssets plugin.
        .target(
            name: "StockpipeCore", dependencies: ["StockpipeJSON"], exclude: ["Assets"], swiftSettings: strict,
            plugins: ["EmbedAssets"]),

        // MARK: Backends: each depends on the core and its own libraries only.

        // The embedded backend: the log and the store in SQLite files of the data directory.
        .target(
            name: "StockpipeSQLite",
            dependencies: [
                "StockpipeCore", "StockpipeJSON",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        // librdkafka from Debian's librdkafka-dev, with its mock cluster.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // The log on Kafka: a small Swift layer over librdkafka.
        .target(
            name: "StockpipeKafka",
            dependencies: [
                "CRdKafka", "StockpipeCore", "StockpipeJSON",
                Library.logging,
            ],
            swiftSettings: strict),
        // The CQL native protocol (v1-v4): frames, messages, values; for the Cassandra store.
        .target(
            name: "StockpipeCQL",
            dependencies: [
                Library.logging,
                Library.nioCore,
                .product(name: "NIOPosix", package: "swift-nio"),
                Library.nioSSL,
            ],
            swiftSettings: strict),
        // The store on Cassandra: schema, writes that are safe to repeat, reads behind the store interface.
        .target(
            name: "StockpipeCassandra",
            dependencies: [
                "StockpipeCQL", "StockpipeCore",
                Library.nioCore,
                Library.nioSSL,
            ],
            swiftSettings: strict),
        // Sources on files and in memory: NDJSON replay and the simulator.
        .target(name: "StockpipeSources", dependencies: ["StockpipeCore", "StockpipeJSON"], swiftSettings: strict),
        // Finnhub: the WebSocket trade stream and the REST quote poller, with reconnects and rate limits.
        .target(
            name: "StockpipeFinnhub",
            dependencies: [
                "StockpipeJSON", "StockpipeCore",
                Library.logging,
                Library.webSocketClient,
                Library.httpClient,
                Library.nioSSL,
                Library.nioCore,
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // MARK: The pipeline and what shows it: the core's interfaces only.

        // Export: trades, candles, quotes and the quarantine as CSV or NDJSON, paged through any store.
        .target(name: "StockpipeExport", dependencies: ["StockpipeCore", "StockpipeJSON"], swiftSettings: strict),
        // Schedules: cron expressions in a time zone, exchange calendars, the job scheduler.
        .target(name: "StockpipeSchedule", swiftSettings: strict),
        // Ingest, validate and load as services over `Log` and `Store`; validation; status; the quality report.
        .target(
            name: "StockpipePipeline",
            dependencies: [
                "StockpipeJSON", "StockpipeCore", "StockpipeSchedule",
                Library.logging,
                Library.metrics,
                Library.serviceLifecycle,
                Library.histogram,
            ],
            swiftSettings: strict),
        // The dashboard and JSON API (Hummingbird), live updates, /metrics.
        .target(
            name: "StockpipeDashboard",
            dependencies: [
                "StockpipePipeline", "StockpipeCore", "StockpipeJSON", "StockpipeExport",
                Library.hummingbird,
                .product(name: "HummingbirdCore", package: "hummingbird"),
                Library.httpTypes,
                Library.nioCore,
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                Library.logging,
                Library.metrics,
                Library.prometheus,
                Library.serviceLifecycle,
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The page's script and style and the OpenAPI document, compiled in by the EmbedAssets plugin.
            exclude: ["Assets"],
            swiftSettings: strict,
            plugins: ["EmbedAssets"]),
        // Writes files into a Swift source as string constants: the tool of the EmbedAssets plugin.
        .executableTarget(name: "EmbedAssetsTool", swiftSettings: strict),
        // Embeds a target's Assets folder at build time, so the binary reads no files at run time. Under Sources,
        // as the Docker build copies only Package.swift, Sources and Tests.
        .plugin(
            name: "EmbedAssets", capability: .buildTool(), dependencies: ["EmbedAssetsTool"],
            path: "Sources/EmbedAssetsPlugin"),

        // MARK: The app: settings, the backend registry, jobs; what the executables use.

        .target(
            name: "StockpipeApp",
            dependencies: [
                "StockpipeCore", "StockpipeJSON", "StockpipePipeline", "StockpipeSchedule", "StockpipeDashboard",
                "StockpipeSQLite", "StockpipeKafka", "StockpipeCassandra", "StockpipeCQL", "StockpipeSources", "StockpipeFinnhub",
                Library.logging,
                Library.serviceLifecycle,
                Library.yams,
            ],
            swiftSettings: strict),
        // A Finnhub-compatible server fed by the simulator, with fault injection: demos and tests.
        .target(
            name: "StockpipeFinnhubServer",
            dependencies: [
                "StockpipeJSON", "StockpipeCore", "StockpipeSources",
                Library.hummingbird,
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                Library.httpTypes,
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "StockpipeCLI",
            dependencies: [
                "StockpipeApp", "StockpipePipeline", "StockpipeDashboard", "StockpipeCore", "StockpipeJSON",
                "StockpipeSQLite", "StockpipeKafka", "StockpipeCassandra", "StockpipeSources", "StockpipeFinnhub",
                "StockpipeFinnhubServer", "StockpipeSchedule", "StockpipeExport",
                Library.metrics,
                Library.prometheus,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                Library.logging,
                Library.serviceLifecycle,
                Library.httpClient,
                Library.nioCore,
            ],
            swiftSettings: strict),
        // Release-build throughput of each stage: `swift run -c release stockpipe-bench`.
        .executableTarget(
            name: "StockpipeBench",
            dependencies: [
                "StockpipeApp", "StockpipePipeline", "StockpipeJSON", "StockpipeKafka", "StockpipeCore", "StockpipeSources",
                "StockpipeCQL", "StockpipeCassandra", Library.nioCore,
            ],
            swiftSettings: strict),
        // Unit tests: pure logic, no processes, servers or files; `swift test --filter StockpipeUnitTests`.
        .testTarget(
            name: "StockpipeUnitTests",
            dependencies: ["StockpipeJSON", "StockpipeCore", "StockpipePipeline", "StockpipeApp", "StockpipeSchedule", "StockpipeCQL"],
            swiftSettings: strict),
        // Integration tests: the binary, real SQLite files, the mock Kafka cluster, Cassandra, Chromium, Airflow.
        .testTarget(
            name: "StockpipeTests",
            // The CLI tests run the built `stockpipe` binary, so the tests depend on it.
            dependencies: [
                "StockpipeApp", "StockpipePipeline", "StockpipeCLI", "StockpipeFinnhubServer", "StockpipeDashboard", "StockpipeCQL",
                "StockpipeCassandra", "StockpipeSchedule", "StockpipeSQLite", "StockpipeKafka", "StockpipeSources", "StockpipeFinnhub",
                "StockpipeExport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                Library.webSocketClient,
                Library.httpClient,
                Library.yams,
            ],
            // Golden frames, read through #filePath.
            exclude: ["Fixtures"],
            swiftSettings: strict),
    ]
)
