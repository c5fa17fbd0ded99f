import Foundation
import Testing

@testable import StockpipeDashboard

/// The dashboard's script, style and OpenAPI document are files in `Sources/StockpipeDashboard/Assets`, which
/// the EmbedAssets plugin compiles in: the binary serves them as they are on disk, node checks the script's
/// syntax, and the document is JSON whose interval lists are the page's.
@Suite("Dashboard assets", .timeLimit(.minutes(4)))
struct DashboardAssetTests {
    static let assets = TestTool.root + "/Sources/StockpipeDashboard/Assets/"

    static func onDisk(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: assets + name))
    }

    @Test func theEmbeddedAssetsAreTheFilesOnDisk() throws {
        let embedded = [
            ("dashboard.js", DashboardScript.source), ("dashboard.css", DashboardStyle.source),
            ("openapi.json", OpenAPIDocument.json),
        ]
        for (name, text) in embedded {
            let file = try Self.onDisk(name)
            #expect(file.count > 1_000, "\(name)")
            #expect(Data(text.utf8) == file, "\(name): the embedded copy differs from the file; rebuild")
        }
    }

    @Test func theEmbeddedOpenAPIDocumentParsesAsJSON() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
    }

    /// The candles' `interval` and the counts' `bucket` take the intervals the page offers (`Candle.intervals`).
    @Test func theOpenAPIIntervalsAreThePagesIntervals() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for (path, parameter) in [("/api/v1/candles", "interval"), ("/api/v1/quarantine/counts", "bucket")] {
            let parameters = try #require((paths[path]?["get"] as? [String: Any])?["parameters"] as? [[String: Any]])
            let schema = try #require(parameters.first { $0["name"] as? String == parameter }?["schema"] as? [String: Any])
            #expect(schema["enum"] as? [String] == DashboardPage.intervals.map(\.key), "\(path) \(parameter)")
            #expect(schema["default"] as? String == DashboardPage.intervals.first?.key)
        }
    }

    @Test(TestTool.node.condition) func theScriptPassesNodeCheck() async throws {
        let node = try TestTool.node.require()
        let result = try await runProgram(node, ["--check", Self.assets + "dashboard.js"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// The script clones the page's empty symbol row and reads the intervals from the page's buttons.
    @Test func thePageCarriesWhatTheScriptReads() {
        let page = DashboardPage.html(symbols: [])
        #expect(page.contains(#"<template id="symbol-row"><li class="symbol" data-symbol="">"#))
        #expect(page.contains(#"aria-label="Compare "></label></li></template>"#))
        #expect(page.contains(#"<button type="button" data-interval="1m" data-ms="60000" class="on">1m</button>"#))
        #expect(page.contains(#"<button type="button" data-interval="1d" data-ms="86400000">1d</button>"#))
        #expect(DashboardScript.source.contains("$('#symbol-row').content"))
        #expect(DashboardScript.source.contains("button.dataset.ms"))
    }
}
