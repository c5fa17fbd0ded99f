import StockpipeCore
/// The API as served, in OpenAPI 3.1; `schemathesis` checks the implementation against it in CI.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "stockpipe", "version": "1.0.0",
               "description": "Trades, candles, quotes, the quarantine and the pipeline's status, as stored by stockpipe."},
      "servers": [{"url": "/"}],
      "security": [{}, {"bearer": []}],
      "paths": {
        "/api/v1/symbols": {"get": {
          "operationId": "symbols", "summary": "Every symbol with its last price, change over a day and a sparkline of its last 60 minutes",
          "responses": {"200": {"description": "Symbols", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/SymbolSummary"}}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/trades": {"get": {
          "operationId": "trades", "summary": "Trades of one symbol, oldest first; without from, the latest limit",
          "parameters": [{"$ref": "#/components/parameters/symbol"}, {"$ref": "#/components/parameters/from"},
                         {"$ref": "#/components/parameters/to"},
                         {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 500}}],
          "responses": {"200": {"description": "Trades", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Trade"}}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/candles": {"get": {
          "operationId": "candles", "summary": "Candles of one symbol, oldest first; longer intervals are rolled up from 1m. Without from, the day up to to (default: the symbol's last update); at most 100,000 minutes, the latest of a longer range",
          "parameters": [{"$ref": "#/components/parameters/symbol"}, {"$ref": "#/components/parameters/from"},
                         {"$ref": "#/components/parameters/to"},
                         {"name": "interval", "in": "query", "schema": {"type": "string", "enum": ["1m", "5m", "15m", "1h", "1d"], "default": "1m"}}],
          "responses": {"200": {"description": "Candles", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Candle"}}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/quotes": {"get": {
          "operationId": "quotes", "summary": "REST quotes of one symbol as polled, oldest first",
          "parameters": [{"$ref": "#/components/parameters/symbol"}, {"$ref": "#/components/parameters/from"},
                         {"$ref": "#/components/parameters/to"},
                         {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}}],
          "responses": {"200": {"description": "Quotes", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Quote"}}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/quarantine": {"get": {
          "operationId": "quarantine", "summary": "Quarantined records, newest first",
          "parameters": [{"$ref": "#/components/parameters/reason"},
                         {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}],
          "responses": {"200": {"description": "Quarantined records", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/QuarantineRecord"}}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/quarantine/counts": {"get": {
          "operationId": "quarantineCounts", "summary": "Accepted trades (by trade time) and quarantined records (by quarantine time, per reason) per bucket; at most 10,000 buckets, the latest",
          "parameters": [{"$ref": "#/components/parameters/from"},
                         {"name": "bucket", "in": "query", "schema": {"type": "string", "enum": ["1m", "5m", "15m", "1h", "1d"], "default": "1m"}}],
          "responses": {"200": {"description": "Counts", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QualityCounts"}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/status": {"get": {
          "operationId": "status", "summary": "The status of stockpipe status --json, plus per-stage rates, lag and ingest-to-store latency",
          "responses": {"200": {"description": "Status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/quality": {"get": {
          "operationId": "quality", "summary": "The newest data-quality report (freshness per symbol, quarantine rate, gaps in candles, broken thresholds), or null before the first",
          "responses": {"200": {"description": "Report", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/QualityReport"}, {"type": "null"}]}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/jobs": {"get": {
          "operationId": "jobs", "summary": "Runs of the scheduled jobs, newest first",
          "parameters": [{"name": "job", "in": "query", "schema": {"type": "string", "enum": ["quality-report", "retention", "redrive", "quote-poll"]}},
                         {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
          "responses": {"200": {"description": "Runs", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/JobRun"}}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/stream": {"get": {
          "operationId": "stream", "summary": "Live updates as Server-Sent Events: one `tick` event per second with symbols, their last candles, new trades and status",
          "responses": {"200": {"description": "An endless event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/api/v1/openapi.json": {"get": {
          "operationId": "openapi", "summary": "This document",
          "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/health": {"get": {
          "operationId": "health", "summary": "Whether the store answers; never needs the token",
          "responses": {"200": {"description": "Healthy", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                        "503": {"description": "The store does not answer", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
        "/metrics": {"get": {
          "operationId": "metrics", "summary": "Prometheus text format: stage counters, ingest-to-store latency histogram, lag, store rows",
          "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}}
      },
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "Required when the dashboard listens beyond loopback; at least 16 characters"}},
        "parameters": {
          "symbol": {"name": "symbol", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 64}, "example": "AAPL"},
          "from": {"name": "from", "in": "query", "description": "Unix ms", "schema": {"type": "integer", "minimum": 0, "maximum": 999999999999999}, "example": 1732480000000},
          "to": {"name": "to", "in": "query", "description": "Unix ms (inclusive)", "schema": {"type": "integer", "minimum": 0, "maximum": 999999999999999}},
          "reason": {"name": "reason", "in": "query", "schema": {"$ref": "#/components/schemas/Reason"}}
        },
        "responses": {
          "BadRequest": {"description": "A parameter is wrong; the message says which", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Unauthorized": {"description": "A bearer token is required: `Authorization: Bearer TOKEN` (the scheme in any case), or the session cookie that `?token=TOKEN` sets",
                           "headers": {"WWW-Authenticate": {"description": "The scheme to use", "schema": {"type": "string", "const": "Bearer realm=\"stockpipe\""}}},
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
          "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
          "Reason": {"type": "string", "enum": ["malformed", "missing_field", "null_field", "wrong_type", "non_finite", "non_positive_price",
                     "negative_volume", "invalid_symbol", "symbol_not_allowed", "timestamp_in_future", "timestamp_too_old", "duplicate",
                     "price_jump", "quote_inconsistent", "no_data", "out_of_range", "store_rejected"]},
          "Trade": {"type": "object", "required": ["symbol", "price", "volume", "timestamp", "conditions"], "additionalProperties": false,
                    "properties": {"symbol": {"type": "string"}, "price": {"type": "number"}, "volume": {"type": "number"},
                                   "timestamp": {"type": "integer", "description": "Unix ms"},
                                   "conditions": {"type": ["array", "null"], "items": {"type": "string"}}}},
          "Candle": {"type": "object", "required": ["symbol", "interval", "start", "open", "high", "low", "close", "volume", "vwap", "trades"],
                     "additionalProperties": false,
                     "properties": {"symbol": {"type": "string"}, "interval": {"type": "string"}, "start": {"type": "integer"},
                                    "open": {"type": "number"}, "high": {"type": "number"}, "low": {"type": "number"}, "close": {"type": "number"},
                                    "volume": {"type": "number"}, "vwap": {"type": ["number", "null"]}, "trades": {"type": "integer"},
                                    "backfilled": {"type": "boolean", "description": "Present (true) for candles from Finnhub's /stock/candle"}}},
          "Quote": {"type": "object", "required": ["symbol", "current", "high", "low", "open", "previousClose", "timestamp", "receivedAt"],
                    "properties": {"symbol": {"type": "string"}, "current": {"type": "number"}, "change": {"type": ["number", "null"]},
                                   "percentChange": {"type": ["number", "null"]}, "high": {"type": "number"}, "low": {"type": "number"},
                                   "open": {"type": "number"}, "previousClose": {"type": "number"}, "timestamp": {"type": "integer"},
                                   "receivedAt": {"type": "integer"}}},
          "QuarantineRecord": {"type": "object", "required": ["reasons", "payload", "origin", "quarantinedAt"],
                               "properties": {"reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
                                              "payload": {"type": "string"}, "quarantinedAt": {"type": "integer"},
                                              "origin": {"type": "object", "required": ["topic", "partition", "offset", "source"],
                                                         "properties": {"topic": {"type": "string"}, "partition": {"type": "integer"},
                                                                        "offset": {"type": "integer"}, "source": {"type": "string"}}}}},
          "SymbolSummary": {"type": "object", "required": ["symbol", "last", "change", "changePercent", "lastUpdate", "sparkline"],
                            "properties": {"symbol": {"type": "string"}, "last": {"type": "number"}, "change": {"type": "number"},
                                           "changePercent": {"type": "number"}, "lastUpdate": {"type": "integer"},
                                           "sparkline": {"type": "array", "items": {"type": "number"}}}},
          "QualityCounts": {"type": "object", "required": ["bucket", "from", "series", "totals"],
                            "properties": {"bucket": {"type": "string"}, "from": {"type": "integer"},
                                           "series": {"type": "array", "items": {"type": "object", "required": ["start", "accepted", "quarantined"],
                                                      "properties": {"start": {"type": "integer"}, "accepted": {"type": "integer"},
                                                                     "quarantined": {"type": "object", "additionalProperties": {"type": "integer"}}}}},
                                           "totals": {"type": "object", "additionalProperties": {"type": "integer"}}}},
          "QualityReport": {"type": "object", "required": ["generatedAt", "ok", "breaches", "symbols", "accepted", "quarantined", "quarantinePercent", "thresholds", "marketOpen"],
                            "properties": {"generatedAt": {"type": "integer"}, "ok": {"type": "boolean"}, "breaches": {"type": "array", "items": {"type": "string"}},
                                           "symbols": {"type": "array", "items": {"type": "object", "required": ["symbol", "lastUpdate", "ageMs", "stale", "gapMinutes"]}},
                                           "accepted": {"type": "integer"}, "quarantined": {"type": "integer"}, "quarantinePercent": {"type": "number"},
                                           "thresholds": {"type": "object"}, "marketOpen": {"type": "boolean"}}},
          "JobRun": {"type": "object", "required": ["job", "scheduledAt", "startedAt", "finishedAt", "attempts", "outcome", "trigger", "detail"],
                     "properties": {"job": {"type": "string"}, "scheduledAt": {"type": "integer"}, "startedAt": {"type": "integer"}, "finishedAt": {"type": "integer"},
                                    "attempts": {"type": "integer"}, "outcome": {"type": "string", "enum": ["succeeded", "failed", "timed_out", "skipped"]},
                                    "trigger": {"type": "string", "enum": ["schedule", "manual"]}, "detail": {"type": "string"}}},
          "Status": {"type": "object", "required": ["dataDirectory", "sources", "topics", "stages", "store", "quarantine", "reconciliation", "quality", "jobs", "pipeline"],
                     "properties": {"dataDirectory": {"type": "string"}, "sources": {"type": "array"}, "topics": {"type": "object"},
                                    "stages": {"type": "object"}, "store": {"type": "object"}, "quarantine": {"type": "object"},
                                    "quality": {"oneOf": [{"$ref": "#/components/schemas/QualityReport"}, {"type": "null"}]},
                                    "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/JobRun"}},
                                    "reconciliation": {"type": "object", "required": ["staged", "stored", "quarantined", "pending", "balanced"]},
                                    "pipeline": {"type": "object", "required": ["at", "rates", "lag", "latencyMs", "history"],
                                                 "properties": {"rates": {"type": "object", "additionalProperties": {"type": "number"}},
                                                                "latencyMs": {"type": ["object", "null"]}, "history": {"type": "array"}}}}}
        }
      }
    }
    """#
}
