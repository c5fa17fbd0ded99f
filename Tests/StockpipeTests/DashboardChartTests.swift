import Foundation
import Testing

/// The price chart in Chromium as a trader uses it (issue 21, points 3 to 6): intervals and ranges,
/// time zones and tick positions, clipping, the log scale and outliers, the live current candle at
/// every interval, and compare. One scenario runs in the page, a step per poll, and reports what it
/// found; each finding is asserted here. Any console error or warning fails it too.
@Suite("Dashboard chart", .serialized, .timeLimit(.minutes(5)))
struct DashboardChartTests {
    /// The scenario. Each step acts, then waits (returns) until what it did has shown.
    static let scenario = """
        JSON.stringify((() => {
          const s = window.__stockpipe, r = window.__r = window.__r || { step: 0 };
          if (!s || !s.layout) return r;
          const click = (selector) => document.querySelector(selector).click();
          const interval = (name) => click('#intervals button[data-interval="' + name + '"]');
          const loaded = (name) => s.candles.length >= 1 && s.candles[0].interval === name;
          // Minutes past the wall clock's whole step, in `zone`, by the browser's own Intl (not the page's code).
          const misaligned = (zone) => s.layout.ticks.filter((tick) => {
            if (tick.step >= 86400000) return false;
            const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' })
              .formatToParts(new Date(tick.t)).reduce((o, p) => (o[p.type] = Number(p.value), o), {});
            return parts.second !== 0 || ((parts.hour % 24) * 60 + parts.minute) % (tick.step / 60000) !== 0;
          }).length;
          const colour = (name) => {
            const probe = document.createElement('canvas').getContext('2d'); probe.fillStyle = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
            const hex = probe.fillStyle; return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
          };
          switch (r.step) {
          case 0: {
            if (s.candles.length < 5 || s.ticks < 2) return r;
            const panel = document.querySelector('#chart-panel').getBoundingClientRect(), wrap = document.querySelector('.chart-wrap').getBoundingClientRect();
            r.chartHeight = Math.round(wrap.height); r.gapBelowChart = Math.round(panel.bottom - wrap.bottom);
            r.namesCut = [...document.querySelectorAll('#symbols .name')].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent);
            r.utcMisaligned = misaligned('UTC'); r.utcTicks = s.layout.ticks.length;
            r.secondsInLabels = s.layout.ticks.filter((t) => /:[0-9][0-9]:[0-9][0-9]/.test(t.label)).length;
            // Pan so that the newest candles lie right of the plot: nothing of them may reach the price axis.
            const last = s.candles[s.candles.length - 1].start, step = s.layout.step;
            s.view = { from: last - 12 * step, to: last - 4 * step }; window.__redraw = true;
            r.step = 1; return r;
          }
          case 1: {
            const draw = window.__redraw; window.__redraw = false;
            if (draw) { document.querySelector('#chart').dispatchEvent(new MouseEvent('mouseleave')); return r; }
            const canvas = document.querySelector('#chart'), ratio = canvas.width / canvas.getBoundingClientRect().width;
            const { plot } = s.layout, context = canvas.getContext('2d');
            const strip = context.getImageData(Math.ceil((plot.right + 1) * ratio), Math.floor(plot.top * ratio),
              Math.floor(canvas.width - (plot.right + 1) * ratio), Math.floor((plot.bottom - plot.top) * ratio)).data;
            const [up, down] = [colour('--up'), colour('--down')];
            let candleInk = 0;
            for (let i = 0; i < strip.length; i += 4) {
              for (const c of [up, down]) if (strip[i + 3] > 200 && Math.abs(strip[i] - c[0]) + Math.abs(strip[i + 1] - c[1]) + Math.abs(strip[i + 2] - c[2]) < 30) candleInk++;
            }
            r.candleInkOnAxis = candleInk;
            // A print at ten times the price: the scale keeps the other candles readable and marks it.
            s.view = null;
            const mid = s.candles[Math.floor(s.candles.length / 2)];
            r.outlierPrice = mid.high * 10; mid.high = r.outlierPrice;
            canvas.dispatchEvent(new MouseEvent('mouseleave'));
            r.outliersMarked = s.layout.outliers; r.scaleTop = s.layout.high;
            r.screenshot = 'dashboard-outlier'; r.step = 11; return r;
          }
          case 11: {
            click('#log-scale'); r.logOn = s.log ? 1 : 0; click('#log-scale');
            interval('5m'); r.mergedAtSwitch = s.liveMerged; r.step = 2; return r;
          }
          case 2: {
            if (!loaded('5m') || s.liveMerged < r.mergedAtSwitch + 3) return r;
            // The newest 5-minute candle is its minutes rolled up: volume included, not frozen at load.
            const last = s.candles[s.candles.length - 1];
            const minutes = [...s.minutes.values()];
            r.bucketVolume = last.volume; r.minutesVolume = minutes.reduce((sum, m) => sum + m.volume, 0);
            r.bucketClose = last.close; r.newestMinuteClose = minutes.sort((a, b) => a.start - b.start).pop().close;
            r.bucketMinutes = minutes.length + 1;
            interval('1d'); r.step = 3; return r;
          }
          case 3: {
            if (!loaded('1d')) return r;
            const on = document.querySelector('#ranges button.on');
            r.rangeFor1d = on ? on.textContent : ''; r.disabledFor1d = [...document.querySelectorAll('#ranges button:disabled')].map((b) => b.textContent);
            r.note1d = document.querySelector('#chart-note').textContent;
            interval('15m'); click('#ranges button[data-range="432000000"]'); r.step = 4; return r;
          }
          case 4: {
            if (!loaded('15m') || s.range !== 432000000) return r;
            r.dayTicks = s.layout.ticks.filter((t) => t.dayStart).map((t) => t.label);
            r.note5d = document.querySelector('#chart-note').textContent;
            const zone = document.querySelector('#zone'); zone.value = 'exchange'; zone.dispatchEvent(new Event('change'));
            r.nyMisaligned = misaligned('America/New_York'); r.nyTicks = s.layout.ticks.length; r.nyZone = s.layout.zone;
            r.tapeHeader = document.querySelector('#tape-zone').textContent; r.clock = document.querySelector('#clock').textContent;
            r.screenshot = 'dashboard-new-york-5d'; r.step = 41; return r;
          }
          case 41: {
            const zone = document.querySelector('#zone');
            zone.value = 'utc'; zone.dispatchEvent(new Event('change'));
            // Compare two symbols.
            const boxes = document.querySelectorAll('#symbols input[type=checkbox]');
            boxes[1].click(); boxes[2].click(); click('#compare-toggle'); r.step = 5; return r;
          }
          case 5: {
            if (!s.compareMode || s.compareSeries.size < 2 || !(s.layout.lines || []).length) return r;
            const lines = s.layout.lines;
            r.compareStarts = [...new Set(lines.map((l) => l.points[0].t))].length; r.compareFirstValues = lines.map((l) => l.points[0].change);
            r.colours = Object.fromEntries(lines.map((l) => [l.symbol, l.color]));
            r.legendItems = document.querySelectorAll('#legend .item').length;
            const canvas = document.querySelector('#chart').getBoundingClientRect(), legend = document.querySelector('#legend').getBoundingClientRect();
            r.legendAbovePlot = legend.bottom <= canvas.top + 1 ? 1 : 0;
            const { plot, x } = s.layout, point = lines[0].points[Math.floor(lines[0].points.length / 2)];
            document.querySelector('#chart').dispatchEvent(new MouseEvent('mousemove', { clientX: canvas.left + x(point.t), clientY: canvas.top + (plot.top + plot.bottom) / 2 }));
            r.compareTooltip = document.querySelector('#tooltip').textContent;
            r.compareMergedAt = s.compareMerged;
            interval('5m'); r.step = 6; return r;
          }
          case 6: {
            const series = [...s.compareSeries.values()];
            if (!series.length || series[0].candles[0].interval !== '5m' || !(s.layout.lines || []).length || s.compareMerged < r.compareMergedAt + 2) return r;
            r.coloursAfter5m = Object.fromEntries(s.layout.lines.map((l) => [l.symbol, l.color]));
            const scale = document.querySelector('#compare-scale'); scale.value = 'price'; scale.dispatchEvent(new Event('change'));
            r.priceAxes = (s.layout.axes || []).map((a) => a.side);
            fetch(document.querySelector('#quarantine-csv').href).then((response) => response.text()).then((text) => {
              r.csvHeader = text.split('\\r\\n')[0]; r.csvRows = text.split('\\r\\n').filter((line) => line).length - 1;
            });
            r.step = 7; return r;
          }
          case 7:
            if (r.csvHeader === undefined) return r;
            r.done = 1; return r;
          }
          return r;
        })())
        """

    @Test(TestTool.chromium.condition) func theChartMeansWhatItSaysAtEveryIntervalRangeAndZone() async throws {
        _ = try TestTool.chromium.require()
        let directory = try TemporaryDirectory()
        let dashboard = try await DashboardLiveTests.liveRun(directory)
        let browser = try await HeadlessChromium.start()
        let visit = try await browser.visit(dashboard.url, width: 1600, height: 1000, probe: Self.scenario, timeout: .seconds(150)) {
            ($0["done"] as? Int) == 1
        }
        let screenshots = FileManager.default.currentDirectoryPath + "/.build/screenshots"
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        try visit.screenshot.write(to: URL(fileURLWithPath: screenshots + "/dashboard-compare-prices.png"))
        for (name, shot) in visit.shots { try shot.write(to: URL(fileURLWithPath: screenshots + "/\(name).png")) }
        #expect(Set(visit.shots.keys) == ["dashboard-outlier", "dashboard-new-york-5d"] && visit.shots.values.allSatisfy { $0.count > 10_000 })
        let r = visit.state
        print("chart scenario: \(r)")
        #expect(visit.problems.isEmpty, "\(visit.problems)")
        #expect(r["done"] as? Int == 1, "the scenario stopped at step \(r["step"] ?? "?"): \(r)")

        // Point 5: the chart fills its panel; names whole; nothing drawn over the price axis; an
        // outlier neither sets the scale nor goes unmarked; the log scale draws.
        #expect(number(r, "chartHeight") >= 320 && number(r, "gapBelowChart") < 60, "\(r)")
        #expect((r["namesCut"] as? [String])?.isEmpty == true, "\(r)")
        #expect(number(r, "candleInkOnAxis") == 0, "\(r)")
        #expect(number(r, "outliersMarked") >= 1 && double(r, "scaleTop") < double(r, "outlierPrice") / 2, "\(r)")
        #expect(number(r, "logOn") == 1, "\(r)")
        // Point 3: the newest 5-minute candle follows the live minutes, volume and close included.
        #expect(abs(double(r, "bucketVolume") - double(r, "minutesVolume")) < 1e-6, "\(r)")
        #expect(double(r, "bucketClose") == double(r, "newestMinuteClose"), "\(r)")
        // Point 5: a range that does not fit the interval is not silently replaced.
        #expect(r["rangeFor1d"] as? String == "5D", "\(r)")
        #expect(r["disabledFor1d"] as? [String] == ["1H", "6H", "1D"], "\(r)")
        #expect((r["note5d"] as? String)?.contains("data since") == true, "shorter data says so: \(r)")
        // Point 4: ticks on whole units of the zone shown, days labelled, no seconds.
        #expect(number(r, "utcTicks") >= 2 && number(r, "utcMisaligned") == 0, "\(r)")
        #expect(number(r, "nyTicks") >= 2 && number(r, "nyMisaligned") == 0 && r["nyZone"] as? String == "America/New_York", "\(r)")
        #expect(number(r, "secondsInLabels") == 0, "\(r)")
        let days = r["dayTicks"] as? [String] ?? []
        #expect(!days.isEmpty && days.allSatisfy { $0.range(of: #"^[A-Z][a-z]{2} [0-9]{1,2}$"#, options: .regularExpression) != nil }, "\(r)")
        #expect((r["tapeHeader"] as? String) == "· times New York" && (r["clock"] as? String)?.contains("New York") == true, "\(r)")
        // Point 6: a common 0 % start, a legend outside the plot, every series on hover, colours that
        // stay, live updates, prices on two axes.
        #expect(number(r, "compareStarts") == 1 && (r["compareFirstValues"] as? [Double]) == [0, 0], "\(r)")
        #expect(number(r, "legendItems") == 2 && number(r, "legendAbovePlot") == 1, "\(r)")
        let colours = r["colours"] as? [String: String] ?? [:]
        #expect(colours.count == 2 && colours == (r["coloursAfter5m"] as? [String: String] ?? [:]), "\(r)")
        let tooltip = r["compareTooltip"] as? String ?? ""
        #expect(colours.keys.allSatisfy { tooltip.contains($0) } && tooltip.contains("%"), "\(r)")
        #expect(r["priceAxes"] as? [String] == ["right", "left"], "\(r)")
        // Point 1: the quarantine as CSV, from the page's own link.
        #expect((r["csvHeader"] as? String)?.hasPrefix("quarantined_at,quarantined_at_ms,reasons,") == true && number(r, "csvRows") > 0, "\(r)")
        #expect(await dashboard.stop() == 0)
    }
}

private func number(_ state: [String: Any], _ key: String) -> Int {
    (state[key] as? NSNumber)?.intValue ?? -1
}

private func double(_ state: [String: Any], _ key: String) -> Double {
    (state[key] as? NSNumber)?.doubleValue ?? .nan
}
