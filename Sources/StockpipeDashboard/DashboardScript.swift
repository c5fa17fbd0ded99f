import StockpipeCore

/// The page's script: charts on canvas, live updates from `/api/v1/stream`. Our own, no libraries.
/// The text is `Assets/dashboard.js`, compiled in at build time by the EmbedAssets plugin.
enum DashboardScript {
    static let source = EmbeddedAssets.dashboardJs
}
