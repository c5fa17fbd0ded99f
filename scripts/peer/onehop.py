#!/usr/bin/env python3
"""The peer of stockpipe's embedded path: the one-hop script it replaces.

    python3 scripts/peer/onehop.py FEED DATABASE

Reads a Finnhub NDJSON feed line by line, parses each message with json.loads, checks each
trade's fields (symbol, positive finite price, non-negative volume, a timestamp), and inserts the
good ones in batches of 10,000 with INSERT OR IGNORE into a SQLite table in WAL mode, keyed by
the trade's identity so that a rerun stores nothing twice. No staging, no quarantine, no
candles, no exactly-once positions: one hop. Prints the trades stored and rejected.
"""
import json
import math
import sqlite3
import sys

BATCH = 10_000


def main():
    feed, database = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("""CREATE TABLE IF NOT EXISTS trades (
        symbol TEXT NOT NULL, ts INTEGER NOT NULL, price REAL NOT NULL, volume REAL NOT NULL,
        conditions TEXT NOT NULL, PRIMARY KEY (symbol, ts, price, volume, conditions)) WITHOUT ROWID""")
    rows, stored, rejected = [], 0, 0

    def flush():
        nonlocal rows, stored
        before = db.total_changes
        db.executemany("INSERT OR IGNORE INTO trades VALUES (?, ?, ?, ?, ?)", rows)
        db.commit()
        stored += db.total_changes - before
        rows = []

    with open(feed, "rb") as lines:
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                rejected += 1
                continue
            if not isinstance(message, dict) or message.get("type") != "trade":
                continue
            for trade in message.get("data") or []:
                symbol, price, volume, ts = trade.get("s"), trade.get("p"), trade.get("v"), trade.get("t")
                if (not isinstance(symbol, str) or not symbol
                        or not isinstance(price, (int, float)) or not math.isfinite(price) or price <= 0
                        or not isinstance(volume, (int, float)) or not math.isfinite(volume) or volume < 0
                        or not isinstance(ts, int)):
                    rejected += 1
                    continue
                rows.append((symbol, ts, float(price), float(volume), json.dumps(trade.get("c") or [])))
                if len(rows) >= BATCH:
                    flush()
    if rows:
        flush()
    print(f"stored {stored}, rejected {rejected}")


if __name__ == "__main__":
    main()
