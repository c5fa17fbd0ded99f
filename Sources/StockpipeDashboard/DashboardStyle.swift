import StockpipeCore

/// The page's style: light and dark (following the system, or the ◐ button), one column on a narrow window.
/// The text is `Assets/dashboard.css`, compiled in at build time by the EmbedAssets plugin.
enum DashboardStyle {
    static let source = EmbeddedAssets.dashboardCss
}
