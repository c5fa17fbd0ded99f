#!/usr/bin/env python3
"""Writes a realistic Finnhub trade feed as NDJSON, the input of the peer benchmark.

    python3 scripts/peer/feed.py OUT --trades N --per-message 1|1-5|100 [--seed S] [--ends-before MS]

The shape of a quiet live stream: 12 symbols (8 stocks, 4 crypto pairs whose trades carry
`"c": null` and fractional volumes), trades in time order ending a minute before now, each
symbol's price a small random walk, messages of a fixed or a random number of trades of one
symbol, as Finnhub sends them.
"""
import argparse
import json
import random
import time

STOCKS = {"AAPL": 190.0, "MSFT": 415.0, "AMZN": 180.0, "GOOGL": 170.0, "META": 500.0, "NVDA": 120.0,
          "TSLA": 250.0, "JPM": 200.0}
CRYPTO = {"BINANCE:BTCUSDT": 97000.0, "BINANCE:ETHUSDT": 3600.0, "BINANCE:SOLUSDT": 230.0,
          "BINANCE:DOGEUSDT": 0.4}
CONDITIONS = [["1"], ["1", "12"], ["1", "8"], ["12"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--per-message", default="1-5", help="1, 100, or a range like 1-5")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ends-before", type=int, help="Unix ms the last trade comes before (default a minute ago)")
    args = parser.parse_args()
    low, _, high = args.per_message.partition("-")
    low, high = int(low), int(high or low)
    rng = random.Random(args.seed)
    prices = dict(STOCKS) | dict(CRYPTO)
    symbols = list(prices)
    # One trade every 5 ms on average, ending a minute ago: a million trades span about 83 minutes.
    end = args.ends_before or int(time.time() * 1000) - 60_000
    timestamp = end - args.trades * 5
    written = 0
    with open(args.out, "w", encoding="utf-8") as out:
        while written < args.trades:
            symbol = rng.choice(symbols)
            count = min(rng.randint(low, high), args.trades - written)
            data = []
            for _ in range(count):
                # Strictly increasing, so no two trades are the same trade (both sides would drop one).
                timestamp += rng.randint(1, 9)
                price = prices[symbol] = max(prices[symbol] * (1 + rng.gauss(0, 0.0004)), 0.0001)
                if symbol in CRYPTO:
                    data.append({"c": None, "p": round(price, 6), "s": symbol, "t": timestamp,
                                 "v": round(rng.expovariate(1 / 0.05), 8) or 0.00001})
                else:
                    data.append({"c": rng.choice(CONDITIONS), "p": round(price, 2), "s": symbol, "t": timestamp,
                                 "v": rng.randint(1, 500)})
            out.write(json.dumps({"data": data, "type": "trade"}, separators=(",", ":")) + "\n")
            written += count


if __name__ == "__main__":
    main()
