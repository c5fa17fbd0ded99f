"""Reads stockpipe's exports with pandas, as a notebook would, and compares them with the SQLite
store read directly (sqlite3), independently of stockpipe's code:

    python3 compare_export.py STORE.sqlite trades.csv trades.ndjson candles-1h.csv quarantine.csv

Prints a JSON summary; exits 1 with the first difference."""
import json
import sqlite3
import sys

import numpy as np
import pandas as pd

store, trades_csv, trades_ndjson, candles_csv, quarantine_csv = sys.argv[1:6]
summary = {}


def fail(message):
    print(json.dumps({"error": message, **summary}, default=str))
    sys.exit(1)


db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
stored = pd.read_sql_query("SELECT symbol, ts, price, volume, hex(id) AS id FROM trades ORDER BY symbol, ts, id", db)
exported = pd.read_csv(trades_csv, parse_dates=["time"], float_precision="round_trip", dtype={"id": str})
summary["trades"] = len(exported)
summary["days"] = round((exported["timestamp"].max() - exported["timestamp"].min()) / 86_400_000, 2)
if len(exported) != len(stored):
    fail(f"{len(exported)} trades exported, {len(stored)} stored")
for column, theirs in [("symbol", "symbol"), ("timestamp", "ts"), ("price", "price"), ("volume", "volume")]:
    if not (exported[column].to_numpy() == stored[theirs].to_numpy()).all():
        fail(f"trades differ in {column}")
if not (exported["id"].str.upper().to_numpy() == stored["id"].to_numpy()).all():
    fail("trades differ in id")
times = pd.to_datetime(exported["timestamp"], unit="ms", utc=True)
if not (exported["time"] == times).all():
    fail("the time column is not the timestamp in UTC")

lines = pd.read_json(trades_ndjson, lines=True, dtype={"symbol": str}, precise_float=True)
summary["ndjson"] = len(lines)
if len(lines) != len(exported) or not (lines["price"].to_numpy() == exported["price"].to_numpy()).all():
    fail("the NDJSON export is not the CSV export")

# Hourly candles, as pandas makes them from the stored trades: first and last by (time, id).
candles = pd.read_csv(candles_csv, float_precision="round_trip")
summary["candles"] = len(candles)
stored["start"] = stored["ts"] // 3_600_000 * 3_600_000
grouped = stored.groupby(["symbol", "start"], sort=True)
made = pd.DataFrame({
    "open": grouped["price"].first(), "high": grouped["price"].max(), "low": grouped["price"].min(),
    "close": grouped["price"].last(), "volume": grouped["volume"].sum(), "trades": grouped["price"].count(),
}).reset_index()
built = candles[candles["trades"] > 0].reset_index(drop=True)
if len(built) != len(made):
    fail(f"{len(built)} hourly candles with trades exported, {len(made)} made by pandas")
for column in ["symbol", "start", "open", "high", "low", "close", "trades"]:
    if not (built[column].to_numpy() == made[column].to_numpy()).all():
        fail(f"hourly candles differ in {column}")
if not np.allclose(built["volume"].to_numpy(), made["volume"].to_numpy(), rtol=1e-9, atol=1e-9):
    fail("hourly candles differ in volume")
if set(candles["interval"]) != {"1h"}:
    fail(f"intervals {set(candles['interval'])}")

quarantine = pd.read_csv(quarantine_csv, keep_default_na=False)
count = db.execute("SELECT count(*) FROM quarantine").fetchone()[0]
summary["quarantined"] = len(quarantine)
if len(quarantine) != count:
    fail(f"{len(quarantine)} quarantined records exported, {count} stored")
if not quarantine["quarantined_at_ms"].is_monotonic_decreasing:
    fail("the quarantine is not newest first")
if quarantine["source"].duplicated().any():
    fail("a quarantined record is exported twice")
summary["reasons"] = sorted({code for codes in quarantine["reasons"] for code in codes.split(";")})
print(json.dumps(summary))
