import Foundation
import Logging
import StockpipeApp
import StockpipeCore
import StockpipeKafka
import StockpipePipeline
import StockpipeSources
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under the system's temporary directory, removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "stockpipe-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, lines: [String]) throws -> String {
        let target = file(name)
        try (lines.joined(separator: "\n") + "\n").write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }
}

/// Settings for a replay of `file` into `dataDirectory`, with any symbol allowed unless given.
func replaySettings(file: String, dataDirectory: String, symbols: [String] = ["*"]) -> Settings {
    var settings = Settings()
    settings.source = .replay
    settings.file = file
    settings.dataDirectory = dataDirectory
    settings.symbols = symbols
    settings.dashboard = false
    return settings
}

/// Runs the whole pipeline in this process until drained, then returns the status report.
@discardableResult
func drain(_ settings: Settings) async throws -> StatusReport {
    let backends = try await Backends.open(settings, create: true)
    let runner = PipelineRunner(
        settings: settings, stages: PipelineRunner.Stage.allCases, drain: true,
        showProgress: false, logger: Logger(label: "test"))
    try await runner.run(backends)
    let report = try await StatusReport.collect(backends)
    await backends.close()
    return report
}

/// Opens the data directory for reading.
func withBackends<T>(_ dataDirectory: String, _ body: (Backends) async throws -> T) async throws -> T {
    var settings = Settings()
    settings.dataDirectory = dataDirectory
    let backends = try await Backends.open(settings, create: false)
    let result = try await body(backends)
    await backends.close()
    return result
}

/// A Finnhub trade message line.
func tradeMessage(_ trades: [String]) -> String {
    #"{"data":["# + trades.joined(separator: ",") + #"],"type":"trade"}"#
}

/// A raw trade object stamped `offsetMilliseconds` from now.
func trade(
    _ symbol: String = "AAPL", price: String = "187.5", volume: String = "100", offsetMilliseconds: Int64 = 0,
    conditions: String = #"["1"]"#
) -> String {
    let time = Int64(Date().timeIntervalSince1970 * 1000) + offsetMilliseconds
    return #"{"s":"\#(symbol)","p":\#(price),"t":\#(time),"v":\#(volume),"c":\#(conditions)}"#
}

/// The `stockpipe` binary built next to the test bundle.
var stockpipeBinary: String {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [
        directory.appendingPathComponent("stockpipe").path,
        directory.deletingLastPathComponent().appendingPathComponent("stockpipe").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Starts the binary with `arguments` in `directory`; output goes to files, so nothing can block.
func startStockpipe(
    _ arguments: [String], in directory: String? = nil,
    environment: [String: String] = [:]
) throws -> (Process, stdout: String, stderr: String) {
    try startProgram(stockpipeBinary, arguments, in: directory, environment: environment)
}

/// Starts `executable` with the test's environment less its `STOCKPIPE_*` variables, plus `environment`.
func startProgram(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String] = [:]
) throws -> (Process, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("STOCKPIPE_") }
    env.merge(environment) { $1 }
    process.environment = env
    let base = NSTemporaryDirectory() + "stockpipe-run-" + UUID().uuidString
    let (stdoutPath, stderrPath) = (base + ".out", base + ".err")
    _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
    process.standardError = FileHandle(forWritingAtPath: stderrPath)
    process.standardInput = FileHandle.nullDevice
    try KafkaMockCluster.startingProcess { try process.run() }
    return (process, stdoutPath, stderrPath)
}

/// Runs `executable` to completion and returns what it printed.
/// With a `timeout`, the process gets SIGINT (a graceful stop) when it runs that long.
func runProgram(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String] = [:], timeout: Duration? = nil
) async throws -> ProcessResult {
    let (process, stdoutPath, stderrPath) = try startProgram(executable, arguments, in: directory, environment: environment)
    if let timeout {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
    }
    await process.exited()
    defer {
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }
    return ProcessResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
}

/// Runs the binary to completion (see ``runProgram(_:_:in:environment:timeout:)``).
func runStockpipe(
    _ arguments: [String], in directory: String? = nil,
    environment: [String: String] = [:], timeout: Duration? = nil
) async throws -> ProcessResult {
    try await runProgram(stockpipeBinary, arguments, in: directory, environment: environment, timeout: timeout)
}

extension Process {
    /// Waits for the process to end without holding a thread: the tests share a small pool of
    /// them with the servers some of them run in process, and a blocked pool starves those.
    /// When the waiting task is cancelled (a test's time limit ran out), the process is killed
    /// rather than waited for: a sleep that throws at once would otherwise spin here for good.
    @discardableResult
    func exited() async -> Int32 {
        while isRunning {
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                kill(processIdentifier, SIGKILL)
                break
            }
        }
        waitUntilExit()  // reaped already, or killed just now; returns at once or nearly
        return terminationStatus
    }
}

/// Parses JSON text with Foundation, an implementation independent of ours.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port` (a helper process that has
/// only just been started, say); throws after `timeout`.
func waitUntilListening(port: Int, timeout: Duration = .seconds(30)) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if withLoopbackSocket(port: port, connect) == 0 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw CQLTestError("nothing listens on 127.0.0.1:\(port) after \(timeout)")
}

/// The first of `count` consecutive loopback ports that are free now, below the kernel's ephemeral
/// range (32768 and up on Linux), where outgoing connections and port-0 listeners get theirs: a
/// server told to use a port in that range can find it taken by the time it starts.
func freeConsecutivePorts(_ count: Int) throws -> Int {
    for _ in 0..<100 {
        let base = Int.random(in: 10_000...(32_000 - count))
        if (base..<base + count).allSatisfy(isFreePort) { return base }
    }
    throw CQLTestError("found no \(count) free consecutive ports between 10000 and 32000")
}

private func isFreePort(_ port: Int) -> Bool {
    withLoopbackSocket(port: port, bind) == 0
}

/// Calls `operation` (`connect` or `bind`) with a new TCP socket and 127.0.0.1:`port`, then closes the socket.
private func withLoopbackSocket(port: Int, _ operation: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { operation(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}
