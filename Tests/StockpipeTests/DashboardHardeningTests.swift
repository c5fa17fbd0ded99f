import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceLifecycle
import StockpipeApp
import StockpipeCore
import StockpipePipeline
import Testing

@testable import StockpipeDashboard

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard's HTTP server against what a hostile or careless client does (issue 16, point 7):
/// slow or idle connections, too many of them, redirects elsewhere, a cookie that is the token,
/// a host that only looks like loopback, short tokens, a lower-case `bearer`.
@Suite("Dashboard hardening", .serialized, .timeLimit(.minutes(5)))
struct DashboardHardeningTests {
    static let token = "hardening-test-token-0123456789"

    // MARK: The server, over real loopback sockets

    @Test func aRequestHeadSentByteByByteIsCutOff() async throws {
        try await withServedDashboard({ $0.headerTimeout = .seconds(1) }) { port, _ in
            let slow = try RawSocket(port: port)
            defer { slow.close() }
            let head = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Padding: 0123456789\r\n\r\n".utf8)
            var closed = false
            // 200 ms a byte: the whole head would take about 16 s.
            for byte in head where !closed {
                closed = !slow.send([byte])
                if !closed { closed = await slow.read(timeout: .milliseconds(200)).closed }
            }
            // Cut before the last byte: the whole head never arrived.
            #expect(closed, "the connection outlived its header timeout")

            // A client that connects and sends nothing is closed too.
            let silent = try RawSocket(port: port)
            defer { silent.close() }
            #expect(await silent.read(timeout: .seconds(30)).closed)

            // One that sends its head in time is answered.
            let prompt = try RawSocket(port: port)
            defer { prompt.close() }
            #expect(prompt.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)))
            #expect(await prompt.read(timeout: .seconds(30)).text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func anIdleKeptAliveConnectionIsClosedButTheEventStreamIsNot() async throws {
        try await withServedDashboard({
            $0.idleTimeout = .seconds(1); $0.headerTimeout = .seconds(1)
        }) { port, _ in
            let idle = try RawSocket(port: port)
            defer { idle.close() }
            #expect(idle.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
            let answer = await idle.read(timeout: .seconds(30)) { $0.contains(#"{"status":"ok"}"#) }
            #expect(answer.text.hasPrefix("HTTP/1.1 200") && !answer.closed, "\(answer.text)")
            let later = await idle.read(timeout: .seconds(30))
            #expect(later.closed, "a kept-alive connection stayed open past its idle timeout")

            // The event stream sends once a tick and lives well past both timeouts.
            let stream = try RawSocket(port: port)
            defer { stream.close() }
            #expect(stream.send(Array("GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
            let started = ContinuousClock.now
            var text = ""
            var closed = false
            // Three ticks take 3 s on an idle machine; a loaded one may be slower to send them.
            while ContinuousClock.now - started < .seconds(30) && !closed
                && text.components(separatedBy: "event: tick").count - 1 < 3
            {
                let part = await stream.read(timeout: .milliseconds(500))
                text += part.text
                closed = part.closed
            }
            #expect(!closed, "the event stream was closed: \(text.prefix(300))")
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.components(separatedBy: "event: tick").count - 1 >= 3, "\(text.count) bytes")
        }
    }

    @Test func connectionsOverTheCapAreAnswered503AndHealthAnswersOnceTheyGo() async throws {
        try await withServedDashboard({
            $0.maxConnections = 4; $0.headerTimeout = .seconds(60); $0.idleTimeout = .seconds(60)
        }) { port, _ in
            var held: [RawSocket] = []
            defer { for socket in held { socket.close() } }
            // Four kept-alive connections, each answered once, so the server has surely counted them.
            for _ in 0..<4 {
                let socket = try RawSocket(port: port)
                held.append(socket)
                #expect(socket.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
                #expect(await socket.read(timeout: .seconds(30)) { $0.contains("}") }.text.hasPrefix("HTTP/1.1 200"))
            }
            let extra = try RawSocket(port: port)
            defer { extra.close() }
            #expect(extra.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
            let refused = await extra.read(timeout: .seconds(30)) { $0.contains("\r\n\r\n") }
            #expect(refused.text.hasPrefix("HTTP/1.1 503"), "over the cap: \(refused.text)")
            #expect(await extra.read(timeout: .seconds(30)).closed, "and closed")

            for socket in held { socket.close() }
            held = []
            var answer = ""
            for _ in 0..<50 where !answer.hasPrefix("HTTP/1.1 200") {
                let client = try RawSocket(port: port)
                defer { client.close() }
                _ = client.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
                answer = await client.read(timeout: .seconds(30)) { $0.contains("}") }.text
                if !answer.hasPrefix("HTTP/1.1 200") { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(answer.hasPrefix("HTTP/1.1 200") && answer.contains(#"{"status":"ok"}"#), "\(answer)")
        }
    }

    // MARK: The token

    @Test(arguments: ["//evil.example/", "/\\evil.example/", "//evil.example/%2F..", "/%0d%0aSet-Cookie:x=1"])
    func theTokenRedirectStaysOnThisServer(path: String) async throws {
        try await withRouter(token: Self.token) { client in
            try await client.execute(uri: path + "?token=" + Self.token, method: .get) { response in
                #expect(response.status == .seeOther)
                let location = try #require(response.headers[.location])
                #expect(
                    location == "/" || (location.hasPrefix("/") && !location.hasPrefix("//") && !location.hasPrefix("/\\")),
                    "\(path) redirected to \(location)")
                #expect(!location.contains("evil"), "\(path) redirected to \(location)")
            }
            try await client.execute(uri: "/api/v1/openapi.json?token=" + Self.token, method: .get) {
                #expect($0.headers[.location] == "/api/v1/openapi.json", "a local path is kept")
            }
        }
    }

    @Test func theCookieIsASessionNotTheToken() async throws {
        try await withRouter(token: Self.token) { client in
            let setCookie = try await client.execute(uri: "/?token=" + Self.token, method: .get) { response in
                try #require(response.headers[.setCookie])
            }
            #expect(!setCookie.contains(Self.token), "the cookie carries the token: \(setCookie)")
            let attributes = Set(setCookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            #expect(attributes.isSuperset(of: ["httponly", "samesite=strict", "path=/", "max-age=43200"]), "\(setCookie)")
            let pair = try #require(setCookie.split(separator: ";").first.map(String.init))
            try await client.execute(uri: "/api/v1/symbols", method: .get, headers: [.cookie: pair]) { #expect($0.status == .ok) }

            // Neither the token as a cookie, nor a session altered, nor one signed with another token.
            let name = String(pair.prefix { $0 != "=" })
            let value = String(pair.drop { $0 != "=" }.dropFirst())
            let other = SessionCookie(token: "another-token-of-enough-length").issue()
            var tampered = Array(value)
            tampered[tampered.count - 1] = tampered.last == "0" ? "1" : "0"
            for forged in ["stockpipe_token=" + Self.token, "\(name)=\(Self.token)", "\(name)=\(other)", "\(name)=\(String(tampered))"] {
                try await client.execute(uri: "/api/v1/symbols", method: .get, headers: [.cookie: forged]) {
                    #expect($0.status == .unauthorized, "\(forged)")
                }
            }
        }
        // Issued sessions end after 12 hours.
        let session = SessionCookie(token: Self.token)
        let issued = session.issue(now: 1_000_000)
        #expect(session.accepts(issued, now: 1_000_000 + 43_199))
        #expect(!session.accepts(issued, now: 1_000_000 + 43_200))
    }

    @Test func theBearerSchemeIsCaseInsensitiveAnd401SaysHowToAuthenticate() async throws {
        try await withRouter(token: Self.token) { client in
            for header in ["bearer \(Self.token)", "BEARER \(Self.token)", "Bearer   \(Self.token)  ", "  bEaReR\t\(Self.token)"] {
                try await client.execute(uri: "/api/v1/symbols", method: .get, headers: [.authorization: header]) {
                    #expect($0.status == .ok, "\(header)")
                }
            }
            for header in ["Basic \(Self.token)", "Bearer", "Bearer ", "Bearer\(Self.token)", "Bearer x\(Self.token)"] {
                try await client.execute(uri: "/api/v1/symbols", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .unauthorized, "\(header)")
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="stockpipe""#)
                }
            }
            try await client.execute(uri: "/", method: .get) { #expect($0.headers[.wwwAuthenticate] == #"Bearer realm="stockpipe""#) }
        }
    }

    @Test func aShortTokenIsRefusedWithoutBeingShown() throws {
        var configuration = DashboardConfiguration()
        configuration.host = "0.0.0.0"
        for short in ["q7", "shorty-secret", "fifteen-chars15"] {
            configuration.token = short
            let error = #expect(throws: DashboardError.self) { try Dashboard.check(configuration) }
            guard case .weakToken(let problem) = error else {
                Issue.record("\(String(describing: error)) is not a weak token")
                continue
            }
            #expect(problem.contains("openssl rand -hex 16"), "\(problem)")
            #expect(!problem.contains(short) && !problem.contains("\n"), "\(problem)")
        }
        configuration.token = "sixteen-chars-16"
        try Dashboard.check(configuration)
    }

    // MARK: Loopback

    @Test func loopbackIsDecidedByTheAddressesNotTheName() throws {
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1"] {
            var configuration = DashboardConfiguration()
            configuration.host = host
            #expect(try configuration.isLoopback(), "\(host)")
            try Dashboard.check(configuration)
        }
        for host in ["127.0.0.1.example.com", "0.0.0.0", "::", "localhost.invalid"] {
            var configuration = DashboardConfiguration()
            configuration.host = host
            let error = #expect(throws: DashboardError.self, "\(host) without a token") { try Dashboard.check(configuration) }
            switch error {
            case .exposedWithoutToken(let named)? where named == host: break
            case .hostDoesNotResolve(let named, _)? where named == host: break
            default: Issue.record("\(host): \(String(describing: error))")
            }
        }
    }

    @Test func aHostThatDoesNotResolveIsOneClearLine() async throws {
        let directory = try TemporaryDirectory()
        let result = try await runStockpipe(
            ["serve", "--host", "127.0.0.1.example.invalid", "--data-dir", directory.file("data")],
            environment: ["STOCKPIPE_DASHBOARD_TOKEN": Self.token], timeout: .seconds(30))
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && result.stderr.contains("127.0.0.1.example.invalid: the host does not resolve"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.token))
        let short = try await runStockpipe(
            ["serve", "--host", "0.0.0.0", "--data-dir", directory.file("data")],
            environment: ["STOCKPIPE_DASHBOARD_TOKEN": "tooshort"], timeout: .seconds(30))
        #expect(short.status == 2 && short.stderr.contains("too short") && !short.stderr.contains("tooshort"), "\(short.stderr)")
    }

    /// A token with a newline at its end (as `$(cat file)` or an editor leaves it) is the token without
    /// it; one with whitespace or a control character inside, or of spaces only, is refused without being shown.
    @Test func theTokensSurroundingWhitespaceIsTrimmedAndInnerWhitespaceRefused() async throws {
        let directory = try TemporaryDirectory()
        let filled = try await runStockpipe(["run", "--limit", "10", "--drain", "--no-dashboard", "--data-dir", directory.file("data")])
        #expect(filled.status == 0, "\(filled.stderr)")
        let port = try freeConsecutivePorts(1)
        let (process, _, stderrPath) = try startStockpipe(
            [
                "serve", "--host", "0.0.0.0", "--port", String(port),
                "--data-dir", directory.file("data"),
            ],
            environment: ["STOCKPIPE_DASHBOARD_TOKEN": "abcdefghijklmnop\n"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        do {
            try await waitUntilListening(port: port, timeout: .seconds(60))
        } catch {
            Issue.record("serve did not start: \((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")")
            throw error
        }
        for (header, status) in [("Bearer abcdefghijklmnop", "200"), ("Bearer abcdefghijklmnop-x", "401")] {
            let client = try RawSocket(port: port)
            defer { client.close() }
            let request = "GET /api/v1/symbols HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(header)\r\nConnection: close\r\n\r\n"
            #expect(client.send(Array(request.utf8)))
            let answer = await client.read(timeout: .seconds(30)).text
            #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(header): \(answer.prefix(200))")
        }
        kill(process.processIdentifier, SIGINT)
        await process.exited()

        for token in [
            String(repeating: " ", count: 16), "abcdefgh ijklmnop", "abcdefgh\tijklmnop", "abcdefgh\u{1B}ijklmnop",
            "  short-token\n",
        ] {
            let result = try await runStockpipe(
                ["serve", "--host", "0.0.0.0", "--port", String(port), "--data-dir", directory.file("data")],
                environment: ["STOCKPIPE_DASHBOARD_TOKEN": token], timeout: .seconds(30))
            #expect(result.status == 2, "\(token.debugDescription): exit \(result.status) \(result.stderr)")
            #expect(
                result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("STOCKPIPE_DASHBOARD_TOKEN"),
                "\(token.debugDescription): \(result.stderr)")
            #expect(!result.stderr.contains("abcdefgh") && !result.stderr.contains("short-token"), "\(result.stderr)")
        }
        // The same from the configuration file.
        let config = try directory.write("stockpipe.yaml", lines: [#"dashboard-token: "abcdefgh ijklmnop""#])
        let fromFile = try await runStockpipe(["serve", "--host", "0.0.0.0", "--config", config, "--check"], in: directory.path)
        #expect(
            fromFile.status == 2 && fromFile.stderr.contains("dashboard-token in \(config)") && !fromFile.stderr.contains("abcdefgh"),
            "\(fromFile.stderr)")
        // And for a dashboard configured directly.
        var configuration = DashboardConfiguration()
        configuration.host = "0.0.0.0"
        configuration.token = "abcdefghijklmnop\n"
        let error = #expect(throws: DashboardError.self) { try Dashboard.check(configuration) }
        guard case .weakToken(let problem) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(problem.contains("must not contain spaces or control characters"), "\(problem)")
    }

    // MARK: Helpers

    /// The router alone, through Hummingbird's test client, over an empty store.
    func withRouter(token: String?, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        var settings = Settings()
        settings.dataDirectory = directory.file("data")
        let backends = try await Backends.open(settings, create: true)
        var configuration = DashboardConfiguration()
        configuration.token = token
        let dashboard = Dashboard(backends: backends.forDashboard, configuration: configuration, registry: PrometheusCollectorRegistry())
        do {
            try await Application(router: dashboard.router()).test(.router, body)
        } catch {
            await backends.close()
            throw error
        }
        await backends.close()
    }
}

/// A plain TCP connection to 127.0.0.1 with blocking calls, for what an HTTP client would not do
/// (send a head byte by byte, hold a connection and send nothing). Reads wait on a thread of their own.
struct RawSocket: Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            Glibc.close(descriptor)
            throw CQLTestError("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    /// Whether all of `bytes` were sent (not, once the server has closed the connection).
    func send(_ bytes: [UInt8]) -> Bool {
        Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// What arrives within `timeout` (until `enough` says so), and whether the server closed the connection.
    func read(timeout: Duration, until enough: @escaping @Sendable (String) -> Bool = { _ in false }) async -> (text: String, closed: Bool) {
        let descriptor = self.descriptor
        return await withCheckedContinuation { continuation in
            Thread {
                let deadline = ContinuousClock.now + timeout
                var received: [UInt8] = []
                var closed = false
                while !closed {
                    let left = deadline - ContinuousClock.now
                    guard left > .zero else { break }
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    let milliseconds = Int32(left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000)
                    guard poll(&poller, 1, max(1, milliseconds)) > 0 else { continue }
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    let count = recv(descriptor, &buffer, buffer.count, 0)
                    if count <= 0 {
                        closed = true
                    } else {
                        received += buffer[0..<count]
                        if enough(String(decoding: received, as: UTF8.self)) { break }
                    }
                }
                continuation.resume(returning: (String(decoding: received, as: UTF8.self), closed))
            }.start()
        }
    }

    func close() {
        Glibc.close(descriptor)
    }
}
