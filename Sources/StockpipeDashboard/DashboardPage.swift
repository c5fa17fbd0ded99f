import Foundation
import Hummingbird
import StockpipeCore

/// The page: server-rendered HTML (the symbol list is there before any script runs) with our own
/// script and style, served from this binary so that it works with no internet. The page owns two things the
/// script reads rather than repeats: a symbol's row (the script clones the empty one in `#symbol-row` for a
/// symbol that appears later) and the intervals (buttons from `Candle.intervals`, each with its length).
enum DashboardPage {
    static func html(symbols: [SymbolSummary]) -> String {
        let rows = symbols.map { row($0) }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>stockpipe</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="/assets/dashboard.css">
            </head>
            <body>
            <header>
              <h1>stockpipe</h1>
              <span id="health" class="badge">connecting…</span>
              <span id="clock" class="muted"></span>
              <label class="zone muted">Times in <select id="zone" aria-label="Time zone">\
            <option value="utc">UTC</option><option value="local">this browser</option>\
            <option value="exchange">New York (exchange)</option></select></label>
              <button type="button" id="theme" title="Light or dark">◐</button>
            </header>
            <main>
              <aside id="symbols-panel" class="panel">
                <h2>Symbols</h2>
                <ul id="symbols">\(rows.isEmpty ? "<li class=\"muted empty\">No data yet: start the pipeline.</li>" : rows)</ul>
                <template id="symbol-row">\(row(nil))</template>
              </aside>
              <section id="chart-panel" class="panel">
                <div class="toolbar">
                  <h2 id="chart-title">—</h2>
                  <div class="group" id="intervals" role="group" aria-label="Interval">
                    \(intervalButtons)
                  </div>
                  <div class="group" id="ranges" role="group" aria-label="Range">
                    <button type="button" data-range="3600000" class="on">1H</button><button type="button" data-range="21600000">6H</button><button type="button" data-range="86400000">1D</button><button type="button" data-range="432000000">5D</button><button type="button" data-range="2592000000">1M</button>
                  </div>
                  <button type="button" id="log-scale" aria-pressed="false" title="Logarithmic price scale">log</button>
                  <button type="button" id="compare-toggle" title="Compare the ticked symbols">Compare</button>
                  <select id="compare-scale" aria-label="Compare as" hidden>\
            <option value="percent">% change</option><option value="price">prices, two axes</option></select>
                </div>
                <div id="legend" class="legend" hidden></div>
                <div class="chart-wrap"><canvas id="chart" aria-label="Price chart"></canvas><div id="tooltip" hidden></div></div>
                <p class="hint muted"><span id="chart-note"></span> · Scroll to zoom, drag to pan, double-click to reset.</p>
              </section>
              <section id="tape-panel" class="panel">
                <h2>Trades <span class="muted" id="tape-zone"></span></h2>
                <table id="tape"><thead><tr><th>time</th><th>symbol</th><th>price</th><th>volume</th></tr></thead><tbody></tbody></table>
              </section>
              <section id="quality-panel" class="panel">
                <h2>Data quality <span class="muted" id="quality-summary"></span></h2>
                <canvas id="quality-chart" aria-label="Accepted and quarantined per minute"></canvas>
                <p class="hint muted" id="quality-basis">Counted by the minute the pipeline stored or quarantined them (processing time), whatever the trades' own times.</p>
                <div class="split">
                  <div><h3>Top reasons (last hour)</h3><ol id="reasons"></ol></div>
                  <div><h3>Latest quarantined <span id="reason-filter"></span> \
            <a id="quarantine-csv" href="/api/v1/quarantine?format=csv&amp;limit=10000" download="quarantine.csv">CSV</a></h3>\
            <ul id="quarantined"></ul></div>
                </div>
                <dialog id="record"><form method="dialog"><button type="submit" class="close" aria-label="Close">✕</button></form>
                  <h3 id="record-reasons"></h3><dl id="record-facts"></dl><pre id="record-payload"></pre></dialog>
              </section>
              <section id="pipeline-panel" class="panel">
                <h2>Pipeline</h2>
                <div id="stages" class="stages"></div>
                <canvas id="pipeline-chart" aria-label="Records per second per stage"></canvas>
                <p id="reconcile" class="muted"></p>
              </section>
            </main>
            <script src="/assets/dashboard.js"></script>
            </body>
            </html>
            """
    }

    /// A symbol's row; without a summary, the empty row the script fills in (it appends the symbol to the
    /// checkbox's label, which ends with a space for it).
    static func row(_ summary: SymbolSummary?) -> String {
        let symbol: String = escape(summary?.symbol ?? "")
        // An exchange's prefix and the pair may go on two lines, nothing else ("BINANCE:" / "BTCUSDT").
        let name: String =
            summary.map { summary in
                guard let colon = summary.symbol.firstIndex(of: ":"), colon != summary.symbol.index(before: summary.symbol.endIndex) else {
                    return escape(summary.symbol)
                }
                let prefix = summary.symbol[...colon]
                return escape(String(prefix)) + "<wbr>" + escape(String(summary.symbol[summary.symbol.index(after: colon)...]))
            } ?? ""
        let price: String = summary.map { format($0.last) } ?? ""
        let change: String = summary.map { String(format: "%+.2f%%", $0.changePercent) } ?? ""
        let direction: String = summary.map { $0.change > 0 ? "up" : $0.change < 0 ? "down" : "flat" } ?? "flat"
        return """
            <li class="symbol" data-symbol="\(symbol)"><button type="button" class="pick">\
            <span class="name">\(name)</span><span class="price">\(price)</span>\
            <span class="change \(direction)">\(change)</span>\
            <canvas class="spark" width="96" height="24" aria-hidden="true"></canvas></button>\
            <label class="cmp" title="Compare"><input type="checkbox" aria-label="Compare \(symbol)"></label></li>
            """
    }

    /// The intervals of `Candle.intervals`, shortest first.
    static let intervals = Candle.intervals.sorted { $0.value < $1.value }

    /// A button per interval, the first one on; `data-ms` is its length, which the script reads.
    static let intervalButtons: String = intervals.enumerated().map { (index, interval) -> String in
        let on: String = index == 0 ? " class=\"on\"" : ""
        return "<button type=\"button\" data-interval=\"\(interval.key)\" data-ms=\"\(interval.value)\"\(on)>\(interval.key)</button>"
    }.joined()

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func format(_ price: Double) -> String {
        price < 10 ? String(format: "%.5f", price) : String(format: "%.2f", price)
    }
}

extension Dashboard {
    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            let symbols = (try? await self.backends.store.symbolSummaries(window: 86_400_000, sparkline: 1)) ?? []
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                    .contentSecurityPolicy: Self.contentSecurityPolicy,
                ],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html(symbols: symbols))))
        }
        router.get("/assets/dashboard.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardScript.source)))
        }
        router.get("/assets/dashboard.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardStyle.source)))
        }
    }

    /// Only our own script, style and API: nothing from elsewhere runs in the page.
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        + "connect-src 'self'; frame-ancestors 'none'"
}
