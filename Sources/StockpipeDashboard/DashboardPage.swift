import Foundation
import Hummingbird
import StockpipeCore

/// The page: server-rendered HTML (the symbol list is there before any script runs) with our own
/// script and style, served from this binary so that it works with no internet.
enum DashboardPage {
    static func html(symbols: [SymbolSummary]) -> String {
        let rows: String = symbols.map { (summary: SymbolSummary) -> String in
            let direction = summary.change > 0 ? "up" : summary.change < 0 ? "down" : "flat"
            return """
                <li class="symbol" data-symbol="\(escape(summary.symbol))"><button type="button" class="pick">\
                <span class="name">\(escape(summary.symbol))</span><span class="price">\(format(summary.last))</span>\
                <span class="change \(direction)">\(String(format: "%+.2f%%", summary.changePercent))</span>\
                <canvas class="spark" width="96" height="24" aria-hidden="true"></canvas></button>\
                <label class="cmp" title="Compare"><input type="checkbox" aria-label="Compare \(escape(summary.symbol))"></label></li>
                """
        }.joined(separator: "\n")
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
              <button type="button" id="theme" title="Light or dark">◐</button>
            </header>
            <main>
              <aside id="symbols-panel" class="panel">
                <h2>Symbols</h2>
                <ul id="symbols">\(rows.isEmpty ? "<li class=\"muted empty\">No data yet: start the pipeline.</li>" : rows)</ul>
              </aside>
              <section id="chart-panel" class="panel">
                <div class="toolbar">
                  <h2 id="chart-title">—</h2>
                  <div class="group" id="intervals" role="group" aria-label="Interval">
                    <button type="button" data-interval="1m" class="on">1m</button><button type="button" data-interval="5m">5m</button><button type="button" data-interval="15m">15m</button><button type="button" data-interval="1h">1h</button><button type="button" data-interval="1d">1d</button>
                  </div>
                  <div class="group" id="ranges" role="group" aria-label="Range">
                    <button type="button" data-range="3600000">1H</button><button type="button" data-range="21600000" class="on">6H</button><button type="button" data-range="86400000">1D</button><button type="button" data-range="432000000">5D</button>
                  </div>
                  <button type="button" id="compare-toggle" title="Compare the ticked symbols in %">Compare</button>
                </div>
                <div class="chart-wrap"><canvas id="chart" aria-label="Price chart"></canvas><div id="tooltip" hidden></div></div>
                <p class="hint muted">Scroll to zoom, drag to pan, double-click to reset.</p>
              </section>
              <section id="tape-panel" class="panel">
                <h2>Trades</h2>
                <table id="tape"><thead><tr><th>time</th><th>symbol</th><th>price</th><th>volume</th></tr></thead><tbody></tbody></table>
              </section>
              <section id="quality-panel" class="panel">
                <h2>Data quality <span class="muted" id="quality-summary"></span></h2>
                <canvas id="quality-chart" aria-label="Accepted and quarantined per minute"></canvas>
                <div class="split">
                  <div><h3>Top reasons (last hour)</h3><ol id="reasons"></ol></div>
                  <div><h3>Latest quarantined</h3><ul id="quarantined"></ul></div>
                </div>
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
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                                   .contentSecurityPolicy: Self.contentSecurityPolicy],
                            body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html(symbols: symbols))))
        }
        router.get("/assets/dashboard.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: DashboardScript.source)))
        }
        router.get("/assets/dashboard.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: DashboardStyle.source)))
        }
    }

    /// Only our own script, style and API: nothing from elsewhere runs in the page.
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        + "connect-src 'self'; frame-ancestors 'none'"
}
