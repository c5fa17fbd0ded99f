import StockpipeCore
/// The page's style: light and dark (following the system, or the ◐ button), one column on a narrow window.
enum DashboardStyle {
    static let source = #"""
    :root { --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #6a737d; --grid: #e3e6ea; --border: #d7dbe0;
      --up: #14833b; --down: #c62828; --accent: #2563eb; --volume: rgba(37, 99, 235, .25); --bad: #d97706; --font: system-ui, sans-serif; }
    :root[data-theme="dark"] { --bg: #0e1116; --panel: #161b22; --text: #e6edf3; --muted: #8b949e; --grid: #262c36; --border: #30363d;
      --up: #3fb950; --down: #f85149; --accent: #58a6ff; --volume: rgba(88, 166, 255, .28); --bad: #f0883e; }
    @media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) { --bg: #0e1116; --panel: #161b22; --text: #e6edf3; --muted: #8b949e;
      --grid: #262c36; --border: #30363d; --up: #3fb950; --down: #f85149; --accent: #58a6ff; --volume: rgba(88, 166, 255, .28); --bad: #f0883e; } }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 var(--font); }
    header { display: flex; align-items: center; gap: 12px; padding: 8px 16px; border-bottom: 1px solid var(--border); background: var(--panel); }
    h1 { font-size: 18px; margin: 0; letter-spacing: .02em; }
    h2 { font-size: 14px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
    h3 { font-size: 12px; margin: 8px 0 4px; color: var(--muted); font-weight: 600; }
    button { font: inherit; color: inherit; background: transparent; border: 1px solid var(--border); border-radius: 6px; padding: 2px 8px; cursor: pointer; }
    button.on { background: var(--accent); border-color: var(--accent); color: #fff; }
    #theme { margin-left: auto; }
    .muted { color: var(--muted); }
    .badge { padding: 2px 8px; border-radius: 10px; border: 1px solid var(--border); font-size: 12px; }
    .badge.ok { border-color: var(--up); color: var(--up); }
    .badge.warn { border-color: var(--bad); color: var(--bad); }
    main { display: grid; gap: 12px; padding: 12px; grid-template-columns: 280px minmax(0, 1fr) 320px;
      grid-template-areas: "symbols chart tape" "symbols quality pipeline"; }
    .panel { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 12px; min-width: 0; }
    #symbols-panel { grid-area: symbols; } #chart-panel { grid-area: chart; } #tape-panel { grid-area: tape; }
    #quality-panel { grid-area: quality; } #pipeline-panel { grid-area: pipeline; }
    #symbols { list-style: none; margin: 0; padding: 0; }
    .symbol { display: flex; align-items: center; border-radius: 6px; }
    .symbol.selected { background: var(--bg); outline: 1px solid var(--accent); }
    .symbol .pick { flex: 1; display: grid; grid-template-columns: 1fr auto; grid-template-rows: auto auto; gap: 0 8px; border: 0; text-align: left; padding: 6px; min-width: 0; }
    .symbol .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .symbol .price { text-align: right; font-variant-numeric: tabular-nums; }
    .symbol .change { font-size: 12px; font-variant-numeric: tabular-nums; }
    .symbol .spark { justify-self: end; width: 96px; height: 24px; }
    .up { color: var(--up); } .down { color: var(--down); } .flat { color: var(--muted); }
    .cmp { padding: 0 6px; }
    .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-bottom: 8px; }
    .toolbar h2 { margin: 0 auto 0 0; color: var(--text); text-transform: none; font-size: 16px; }
    .group button { border-radius: 0; margin-left: -1px; } .group button:first-child { border-radius: 6px 0 0 6px; } .group button:last-child { border-radius: 0 6px 6px 0; }
    .chart-wrap { position: relative; height: 420px; }
    #chart { width: 100%; height: 100%; display: block; cursor: crosshair; }
    #tooltip { position: absolute; top: 6px; right: 72px; padding: 4px 8px; font-size: 12px; background: var(--panel); border: 1px solid var(--border);
      border-radius: 6px; pointer-events: none; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .hint { font-size: 12px; margin: 4px 0 0; }
    table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 12px; }
    th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--border); }
    td, th { padding: 2px 4px; } td:nth-child(n+3) { text-align: right; }
    #tape-panel { max-height: 520px; overflow: hidden; }
    #quality-chart, #pipeline-chart { width: 100%; height: 140px; display: block; }
    .split { display: grid; grid-template-columns: 1fr 2fr; gap: 12px; }
    .split > div { min-width: 0; }
    #reasons, #quarantined { margin: 0; padding-left: 18px; font-size: 12px; }
    #quarantined { list-style: none; padding: 0; }
    #quarantined li { border-bottom: 1px solid var(--grid); padding: 2px 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    #quarantined code { font-size: 11px; color: var(--muted); }
    .reason { color: var(--bad); font-weight: 600; margin-right: 6px; }
    .stages { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin-bottom: 8px; }
    .stage { border: 1px solid var(--border); border-radius: 6px; padding: 6px; }
    .stage b { display: block; font-size: 18px; font-variant-numeric: tabular-nums; }
    .stage small { color: var(--muted); }
    @media (max-width: 1200px) { main { grid-template-columns: 240px minmax(0, 1fr); grid-template-areas: "symbols chart" "tape chart" "quality pipeline"; } }
    @media (max-width: 800px) { main { grid-template-columns: minmax(0, 1fr); grid-template-areas: "chart" "symbols" "pipeline" "quality" "tape"; }
      .chart-wrap { height: 300px; } .split { grid-template-columns: 1fr; } }
    """#
}
