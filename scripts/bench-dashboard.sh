#!/usr/bin/env bash
# The dashboard's numbers (release build):
#  1. candles of one symbol over a day (1m) from a store of 1,000,000 trades: latency percentiles;
#  2. the live stream at 10,000 trades/s to 50 connected clients: events each got, and memory over time.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product stockpipe >/dev/null
bin=$PWD/.build/release/stockpipe
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }

echo "== candles: a day of 1-minute candles from a store of 1,000,000 trades"
"$bin" simulate --out "$work/day.ndjson" --count 1000000 --rate 12 --seed 5 >/dev/null 2>&1
"$bin" run --file "$work/day.ndjson" --drain --no-dashboard --data-dir "$work/day" 2>/dev/null
"$bin" serve --port 18080 --data-dir "$work/day" 2>/dev/null &
wait_for http://127.0.0.1:18080/health
python3 - <<'PY'
import json, time, urllib.request
base = "http://127.0.0.1:18080/api/v1"
last = json.load(urllib.request.urlopen(base + "/symbols"))
aapl = next(s for s in last if s["symbol"] == "AAPL")
to = aapl["lastUpdate"]; frm = to - 86_400_000
url = f"{base}/candles?symbol=AAPL&interval=1m&from={frm}&to={to}"
count = len(json.load(urllib.request.urlopen(url)))
times = []
for _ in range(500):
    start = time.perf_counter(); urllib.request.urlopen(url).read(); times.append((time.perf_counter() - start) * 1000)
times.sort()
pick = lambda q: times[min(len(times) - 1, int(len(times) * q))]
print(f"{count} candles per answer, 500 requests: p50 {pick(.5):.1f} ms, p99 {pick(.99):.1f} ms, max {times[-1]:.1f} ms")
for interval in ["5m", "1h"]:
    u = f"{base}/candles?symbol=AAPL&interval={interval}&from={frm}&to={to}"
    ts = []
    for _ in range(200):
        s = time.perf_counter(); urllib.request.urlopen(u).read(); ts.append((time.perf_counter() - s) * 1000)
    ts.sort()
    print(f"  {interval}: p50 {ts[100]:.1f} ms, p99 {ts[198]:.1f} ms")
PY
kill %1; wait %1 2>/dev/null || true

echo "== live stream: 10,000 trades/s, 50 clients, 60 s"
"$bin" run --rate 10000 --port 18081 --data-dir "$work/live" 2>"$work/live.err" &
pid=$!
wait_for http://127.0.0.1:18081/health
for i in $(seq 1 50); do curl -sN http://127.0.0.1:18081/api/v1/stream >"$work/client-$i.txt" & done
for t in 5 15 25 35 45 55; do
  sleep 10
  echo "  t=${t}s: RSS $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
done
sleep 5
events=$(for i in $(seq 1 50); do grep -c '^event: tick' "$work/client-$i.txt" || true; done | sort -n | tr '\n' ' ')
echo "  events per client over the run (one a second): $(echo "$events" | awk '{print "min " $1 ", max " $NF}')"
curl -s http://127.0.0.1:18081/api/v1/status | python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["pipeline"]; print("  rates/s:", p["rates"], "latency ms:", p["latencyMs"])'
kill -INT $pid; wait $pid 2>/dev/null || true
tail -2 "$work/live.err"
