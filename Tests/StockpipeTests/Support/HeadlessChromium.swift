import AsyncHTTPClient
import Foundation
import Logging
import StockpipeKafka
import Synchronization
import Testing
import WSClient

/// Debian's Chromium, headless, driven over the DevTools protocol: it loads a page, waits until
/// the page says it is ready, collects console errors and uncaught exceptions, and takes a screenshot.
final class HeadlessChromium {
    let process: Process
    let profile: TemporaryDirectory
    let port: Int

    private init(process: Process, profile: TemporaryDirectory, port: Int) {
        self.process = process
        self.profile = profile
        self.port = port
    }

    static func start() async throws -> HeadlessChromium {
        let profile = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=\(profile.path)", "--remote-debugging-port=0", "--remote-allow-origins=*",
            "--window-size=1400,900", "about:blank",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try KafkaMockCluster.startingProcess { try process.run() }
        // Chromium writes the port it chose into the profile.
        for _ in 0..<200 {
            let text = try? String(contentsOfFile: profile.file("DevToolsActivePort"), encoding: .utf8)
            if let port = text?.split(separator: "\n").first.flatMap({ Int($0) }) {
                return HeadlessChromium(process: process, profile: profile, port: port)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw BrowserError("Chromium did not open its DevTools port within 20 s")
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    struct Visit {
        var problems: [String]
        var state: [String: Any]
        var screenshot: Data
        /// Screenshots the probe asked for on the way, by name (see ``visit(_:width:height:dark:probe:timeout:ready:)``).
        var shots: [String: Data] = [:]
    }

    /// Loads `url` at `width`×`height`, polls `probe` (a JavaScript expression giving JSON text)
    /// until `ready` holds or `timeout` passes, then takes a screenshot. When the probe's answer
    /// has a `screenshot` member naming one not taken yet, the page is captured then too, as it
    /// is at that step of a scenario.
    func visit(
        _ url: String, width: Int = 1400, height: Int = 900, dark: Bool = false, probe: String,
        timeout: Duration = .seconds(30), ready: @escaping @Sendable ([String: Any]) -> Bool
    ) async throws -> Visit {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/json/list"), timeout: .seconds(10))
        let targets = try await response.body.collect(upTo: 1 << 20)
        let list = try JSONSerialization.jsonObject(with: Data(targets.readableBytesView)) as? [[String: Any]] ?? []
        guard let socket = list.first(where: { $0["type"] as? String == "page" })?["webSocketDebuggerUrl"] as? String else {
            throw BrowserError("Chromium has no page to drive")
        }
        let outcome = Mutex<(problems: [String], state: String, screenshot: Data?, shots: [String: Data])>(([], "{}", nil, [:]))
        var logger = Logger(label: "test.chromium")
        logger.logLevel = .error
        try await WebSocketClient.connect(url: socket, configuration: .init(maxFrameSize: 1 << 26), logger: logger) { inbound, outbound, _ in
            var session = DevToolsSession(inbound: inbound.messages(maxSize: 1 << 26).makeAsyncIterator(), outbound: outbound)
            _ = try await session.call("Runtime.enable")
            _ = try await session.call("Log.enable")
            _ = try await session.call("Page.enable")
            _ = try await session.call(
                "Emulation.setDeviceMetricsOverride",
                ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
            _ = try await session.call(
                "Emulation.setEmulatedMedia",
                ["features": [["name": "prefers-color-scheme", "value": dark ? "dark" : "light"]]])
            _ = try await session.call("Page.navigate", ["url": url])
            let deadline = ContinuousClock.now + timeout
            var state = "{}"
            var shots: [String: Data] = [:]
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
                let result = try await session.call("Runtime.evaluate", ["expression": probe, "returnByValue": true])
                if let text = (result["result"] as? [String: Any])?["value"] as? String,
                    let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                {
                    state = text
                    if let name = parsed["screenshot"] as? String, shots[name] == nil {
                        let shot = try await session.call("Page.captureScreenshot", ["format": "png"])
                        shots[name] = (shot["data"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
                    }
                    if ready(parsed) { break }
                }
            }
            let shot = try await session.call("Page.captureScreenshot", ["format": "png"])
            let data = (shot["data"] as? String).flatMap { Data(base64Encoded: $0) }
            let problems = session.problems
            let finalState = state
            let taken = shots
            outcome.withLock { $0 = (problems, finalState, data, taken) }
        }
        let result = outcome.withLock { $0 }
        let state = (try? JSONSerialization.jsonObject(with: Data(result.state.utf8)) as? [String: Any]) ?? [:]
        return Visit(problems: result.problems, state: state, screenshot: result.screenshot ?? Data(), shots: result.shots)
    }
}

/// Requests and their answers over one DevTools connection; events in between are checked for
/// errors: console errors and warnings, uncaught exceptions, and the browser's own error log
/// (failed loads, blocked content).
struct DevToolsSession {
    var inbound: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter
    var nextID = 0
    var problems: [String] = []

    init(inbound: WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter) {
        self.inbound = inbound
        self.outbound = outbound
    }

    mutating func call(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        nextID += 1
        let request = try JSONSerialization.data(withJSONObject: ["id": nextID, "method": method, "params": parameters])
        try await outbound.write(.text(String(decoding: request, as: UTF8.self)))
        while let message = try await inbound.next() {
            guard case .text(let text) = message,
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            if object["id"] as? Int == nextID {
                if let error = object["error"] as? [String: Any] { throw BrowserError("\(method): \(error)") }
                return object["result"] as? [String: Any] ?? [:]
            }
            note(object)
        }
        throw BrowserError("Chromium closed the DevTools connection during \(method)")
    }

    mutating func note(_ event: [String: Any]) {
        let parameters = event["params"] as? [String: Any] ?? [:]
        switch event["method"] as? String {
        case "Runtime.consoleAPICalled":
            guard let type = parameters["type"] as? String, type == "error" || type == "warning" || type == "assert" else { return }
            let arguments = (parameters["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            problems.append("console.\(type): " + arguments.joined(separator: " "))
        case "Runtime.exceptionThrown":
            let details = parameters["exceptionDetails"] as? [String: Any] ?? [:]
            let exception = (details["exception"] as? [String: Any])?["description"] as? String
            problems.append("exception: " + (exception ?? details["text"] as? String ?? "\(details)"))
        case "Log.entryAdded":
            let entry = parameters["entry"] as? [String: Any] ?? [:]
            if entry["level"] as? String == "error" { problems.append("log: \(entry["text"] ?? "") \(entry["url"] ?? "")") }
        default:
            break
        }
    }
}

struct BrowserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
