import Foundation
import StockpipeKafka
import Testing

/// A dashboard process over loopback, waiting for it to say where it listens.
final class RunningDashboard {
    let process: Process
    let url: String
    let stderrPath: String

    private init(process: Process, url: String, stderrPath: String) {
        self.process = process
        self.url = url
        self.stderrPath = stderrPath
    }

    static func start(_ arguments: [String]) async throws -> RunningDashboard {
        let (process, _, stderr) = try startStockpipe(arguments)
        for _ in 0..<600 where process.isRunning {
            let text = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"dashboard at (http://127\.0\.0\.1:[1-9][0-9]*/)"#, options: .regularExpression) {
                return RunningDashboard(process: process, url: String(text[range].dropFirst("dashboard at ".count)), stderrPath: stderr)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { process.interrupt() }
        throw BrowserError("the dashboard did not start: \((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "")")
    }

    /// Stops it as Ctrl-C does; returns its exit status.
    func stop() async -> Int32 {
        if process.isRunning { process.interrupt() }
        return await process.exited()
    }

    deinit {
        if process.isRunning { process.interrupt() }
    }
}

@Suite("Dashboard, live", .serialized, .timeLimit(.minutes(5)))
struct DashboardLiveTests {
    /// History from a replay, then the simulator live on top of it, as a user would run it.
    static func liveRun(_ directory: TemporaryDirectory) async throws -> RunningDashboard {
        let file = directory.file("history.ndjson")
        let data = directory.file("data")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "30000", "--rate", "60", "--bad-fraction", "0.02"])
        try #require(simulate.status == 0, "\(simulate.stderr)")
        let history = try await runStockpipe(["run", "--file", file, "--drain", "--no-dashboard", "--data-dir", data])
        try #require(history.status == 0, "\(history.stderr)")
        return try await RunningDashboard.start(["run", "--port", "0", "--rate", "400", "--bad-fraction", "0.02", "--data-dir", data])
    }

    static let probe = """
        JSON.stringify((() => {
          const s = window.__stockpipe || {};
          const canvas = document.querySelector('#chart');
          let inked = 0;
          if (canvas && canvas.width) {
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 16) if (pixels[i] > 0) inked++;
          }
          const rows = [...document.querySelectorAll('#tape tbody tr')];
          const fractional = (s.tape || []).map((t, i) => [t, rows[i]]).filter(([t, row]) => row && !Number.isInteger(t.volume));
          const stages = [...document.querySelectorAll('#stages .stage')].map((e) => e.textContent);
          return { ticks: s.ticks || 0, frames: s.frames || 0, candles: (s.candles || []).length, tape: (s.tape || []).length,
                   fractionalVolumes: fractional.length,
                   fractionalShown: fractional.filter(([, row]) => row.children[3].textContent.includes('.')).length,
                   stagedShown: stages.some((text) => /staged [0-9][0-9,]*/.test(text)) ? 1 : 0,
                   clock: (document.querySelector('#clock') || {}).textContent || '',
                   quality: s.qualityDrawn || 0, pipeline: s.pipelineDrawn || 0, inked,
                   symbols: document.querySelectorAll('#symbols .symbol').length,
                   overflow: document.documentElement.scrollWidth - window.innerWidth,
                   selected: s.selected || null };
        })())
        """

    @Test(TestTool.chromium.condition) func thePageDrawsLiveDataWithoutErrors() async throws {
        _ = try TestTool.chromium.require()
        let directory = try TemporaryDirectory()
        let dashboard = try await Self.liveRun(directory)
        let browser = try await HeadlessChromium.start()
        let visit = try await browser.visit(dashboard.url, probe: Self.probe, timeout: .seconds(60)) { state in
            stateNumber(state, "ticks") >= 3 && stateNumber(state, "candles") >= 5 && stateNumber(state, "tape") > 0
                && stateNumber(state, "quality") >= 1 && stateNumber(state, "pipeline") >= 1 && stateNumber(state, "inked") > 2_000
        }
        let screenshots = FileManager.default.currentDirectoryPath + "/.build/screenshots"
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        try visit.screenshot.write(to: URL(fileURLWithPath: screenshots + "/dashboard.png"))
        print("dashboard screenshot: \(screenshots)/dashboard.png")
        #expect(visit.problems.isEmpty, "\(visit.problems)")
        #expect(stateNumber(visit.state, "ticks") >= 3, "live updates arrived: \(visit.state)")
        #expect(stateNumber(visit.state, "candles") >= 5, "the chart has candles: \(visit.state)")
        #expect(stateNumber(visit.state, "inked") > 2_000, "the chart drew: \(visit.state)")
        #expect(stateNumber(visit.state, "tape") > 0, "live trades arrived: \(visit.state)")
        #expect(stateNumber(visit.state, "symbols") == 12)
        #expect(stateNumber(visit.state, "quality") >= 1 && stateNumber(visit.state, "pipeline") >= 1)
        #expect(visit.screenshot.count > 10_000)
        // Crypto volumes keep their decimals; the ingest stage shows how many it staged; the header
        // says how old the newest trade is, in UTC.
        #expect(stateNumber(visit.state, "fractionalShown") == stateNumber(visit.state, "fractionalVolumes"), "\(visit.state)")
        #expect(stateNumber(visit.state, "stagedShown") == 1, "\(visit.state)")
        #expect((visit.state["clock"] as? String)?.contains("last trade") == true, "\(visit.state)")

        // Narrow and dark: one column, nothing wider than the window, still no errors.
        let narrow = try await browser.visit(
            dashboard.url, width: 420, height: 900, dark: true, probe: Self.probe,
            timeout: .seconds(30)
        ) { stateNumber($0, "ticks") >= 2 && stateNumber($0, "inked") > 500 && stateNumber($0, "tape") > 0 }
        try narrow.screenshot.write(to: URL(fileURLWithPath: screenshots + "/dashboard-narrow-dark.png"))
        print("dashboard screenshot: \(screenshots)/dashboard-narrow-dark.png")
        #expect(narrow.problems.isEmpty, "\(narrow.problems)")
        #expect(stateNumber(narrow.state, "overflow") <= 0, "the page is wider than a narrow window: \(narrow.state)")
        #expect(stateNumber(narrow.state, "inked") > 500)
        #expect(stateNumber(narrow.state, "tape") > 0, "a second page gets the tape too: \(narrow.state)")

        // The crosshair shows a candle's values; ticking two symbols and Compare draws both in %.
        // It points at a drawn candle: on a slow machine the minutes between the replayed history
        // and the live run have none, and a fixed place on the chart may fall among them.
        let interact = """
            (() => {
              const s = window.__stockpipe;
              const shown = (s && s.layout && s.layout.shown) || [];
              if (shown.length && !window.__acted) {
                window.__acted = true;
                const chart = document.querySelector('#chart'), box = chart.getBoundingClientRect();
                const candle = shown[Math.floor(shown.length * 0.8)];
                const x = s.layout.x(candle.start + s.layout.step / 2);
                chart.dispatchEvent(new MouseEvent('mousemove', { clientX: box.left + x, clientY: box.top + box.height * 0.4 }));
                window.__tooltip = document.querySelector('#tooltip').hidden ? '' : document.querySelector('#tooltip').textContent;
                const boxes = document.querySelectorAll('#symbols input[type=checkbox]');
                boxes[1].click(); boxes[2].click();
                document.querySelector('#compare-toggle').click();
              }
              return JSON.stringify({ tooltip: window.__tooltip || '', compared: s && s.compareMode ? s.compareSeries.size : 0,
                                      title: document.querySelector('#chart-title').textContent });
            })()
            """
        let compare = try await browser.visit(dashboard.url, probe: interact, timeout: .seconds(30)) { stateNumber($0, "compared") >= 2 }
        try compare.screenshot.write(to: URL(fileURLWithPath: screenshots + "/dashboard-compare.png"))
        #expect(compare.problems.isEmpty, "\(compare.problems)")
        #expect((compare.state["tooltip"] as? String)?.contains(" O ") == true, "crosshair values: \(compare.state)")
        #expect(stateNumber(compare.state, "compared") == 2, "\(compare.state)")
        #expect((compare.state["title"] as? String)?.hasPrefix("Compare") == true)

        // A reason clicked filters the list to it; a record clicked opens whole, with where it came from.
        let inspect = """
            (() => {
              const s = window.__stockpipe || {};
              const first = document.querySelector('#reasons .link');
              if (first && !window.__chose) { window.__chose = first.textContent.split(' ')[0]; first.click(); }
              const chosen = s.reasonFilter || '';
              const list = s.quarantine || [];
              const filtered = chosen && list.length && list.every((r) => r.reasons.includes(chosen)) ? 1 : 0;
              if (filtered && !window.__opened) { window.__opened = true; document.querySelector('#quarantined .record').click(); }
              const dialog = document.querySelector('#record');
              return JSON.stringify({ chosen, clicked: window.__chose || '', filtered, open: dialog && dialog.open ? 1 : 0,
                                      facts: document.querySelector('#record-facts').textContent,
                                      payload: document.querySelector('#record-payload').textContent.length });
            })()
            """
        let inspected = try await browser.visit(dashboard.url, probe: inspect, timeout: .seconds(30)) {
            stateNumber($0, "filtered") == 1 && stateNumber($0, "open") == 1
        }
        try inspected.screenshot.write(to: URL(fileURLWithPath: screenshots + "/dashboard-record.png"))
        #expect(inspected.problems.isEmpty, "\(inspected.problems)")
        #expect(stateNumber(inspected.state, "filtered") == 1, "\(inspected.state)")
        #expect(inspected.state["chosen"] as? String == inspected.state["clicked"] as? String, "\(inspected.state)")
        #expect(stateNumber(inspected.state, "open") == 1 && stateNumber(inspected.state, "payload") > 0, "\(inspected.state)")
        #expect((inspected.state["facts"] as? String)?.contains("source") == true, "\(inspected.state)")
        #expect(await dashboard.stop() == 0, "the run stops cleanly with a browser connected")
    }

    @Test func aTakenPortOrAnOpenAddressIsOneClearLine() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("f.ndjson", lines: [tradeMessage([trade("AAPL")])])
        _ = try await runStockpipe(["run", "--file", file, "--drain", "--no-dashboard", "--data-dir", directory.file("a")])
        let first = try await RunningDashboard.start(["serve", "--port", "0", "--data-dir", directory.file("a")])
        let port = try #require(first.url.split(separator: ":").last?.dropLast())
        let second = try await runStockpipe(
            ["run", "--file", file, "--port", String(port), "--data-dir", directory.file("b")],
            timeout: .seconds(30))
        #expect(second.status == 2)
        #expect(second.stderr.contains("the dashboard cannot listen on 127.0.0.1:\(port): the port is in use"), "\(second.stderr)")
        let open = try await runStockpipe(["run", "--file", file, "--host", "0.0.0.0", "--data-dir", directory.file("c")], timeout: .seconds(30))
        #expect(open.status == 2)
        #expect(open.stderr.contains("would be reachable from the network: set a token"), "\(open.stderr)")
        #expect(await first.stop() == 0)
    }

    @Test(TestTool.schemathesis.condition) func schemathesisFindsNothingWrongWithTheAPI() async throws {
        _ = try TestTool.schemathesis.require()
        let directory = try TemporaryDirectory()
        let file = directory.file("history.ndjson")
        let simulate = try await runStockpipe(["simulate", "--out", file, "--count", "20000", "--rate", "40", "--bad-fraction", "0.05"])
        try #require(simulate.status == 0)
        let history = try await runStockpipe(["run", "--file", file, "--drain", "--no-dashboard", "--data-dir", directory.file("data")])
        try #require(history.status == 0)
        let dashboard = try await RunningDashboard.start(["serve", "--port", "0", "--data-dir", directory.file("data")])
        let schemathesis = Process()
        schemathesis.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The event stream never ends, so it is left out; every other operation is generated for.
        schemathesis.arguments = [
            "schemathesis", "run", dashboard.url + "api/v1/openapi.json", "--exclude-path", "/api/v1/stream",
            "--max-examples", "40", "--generation-deterministic", "--no-color",
        ]
        // It keeps a cache of what it found in .schemathesis/ under the current directory.
        schemathesis.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        let output = directory.file("schemathesis.txt")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        schemathesis.standardOutput = FileHandle(forWritingAtPath: output)
        schemathesis.standardError = schemathesis.standardOutput
        try KafkaMockCluster.startingProcess { try schemathesis.run() }
        await schemathesis.exited()
        let report = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(schemathesis.terminationStatus == 0, "schemathesis (pip install schemathesis) reported:\n\(report.suffix(6_000))")
        #expect(report.contains("No issues found"), "\(report.suffix(2_000))")
        #expect(await dashboard.stop() == 0)
    }
}

/// A number from the page's state, which JSON may give as an integer or a double.
private func stateNumber(_ state: [String: Any], _ key: String) -> Int {
    (state[key] as? Int) ?? Int((state[key] as? Double) ?? 0)
}
