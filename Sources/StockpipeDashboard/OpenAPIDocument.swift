import StockpipeCore

/// The API as served, in OpenAPI 3.1; `schemathesis` checks the implementation against it in CI.
/// The text is `Assets/openapi.json`, compiled in at build time by the EmbedAssets plugin.
enum OpenAPIDocument {
    static let json = EmbeddedAssets.openapiJson
}
