#!/usr/bin/env bash
# The dashboard on a large store (release build), issue 21 point 8:
#  1. every route an open page polls or calls, answered from a store of N trades (50,000,000 by
#     default): p50, p99 and max over 300 requests each, on one keep-alive connection as a browser
#     holds it;
#  2. the same live run (the simulator at 10,000 trades/s on top of that store) for 60 s without the
#     dashboard and with it and a real page open in headless Chromium: the process's anonymous memory;
#  3. the live stream to 50 clients at once: events each got.
# The store: N trades from scripts/peer/feed.py (12 symbols, 1-5 trades per message, time order, one
# every 5 ms, so 50M span about 2.9 days), then 1,000,000 simulator trades with 2 % defects, which
# fill the quarantine and the last hour's data quality.
# Usage: scripts/bench-dashboard.sh [trades]   (STOCKPIPE_BENCH_BINARY=path skips the build;
# STOCKPIPE_BENCH_STORE=dir reuses a store this script made, and keeps it)
set -euo pipefail
trades=${1:-50000000}
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
bin=$(realpath "$bin")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
store=${STOCKPIPE_BENCH_STORE:-$work/store}

wait_for() { for _ in $(seq 1 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }
anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }

if [ ! -f "$store/store.sqlite" ]; then
  echo "== building a store of $trades trades (feed.py, then 1,000,000 simulator trades with 2 % defects)"
  now=$(( $(date +%s) * 1000 - 60000 ))
  python3 scripts/peer/feed.py "$work/big.ndjson" --trades "$trades" --per-message 1-5 --seed 7 --ends-before $(( now - 600000 ))
  start=$(date +%s)
  "$bin" run --source replay --file "$work/big.ndjson" --symbols '*' --drain --no-dashboard --no-scheduler --data-dir "$store" >/dev/null 2>&1
  rm -f "$work/big.ndjson"
  "$bin" simulate --out "$work/recent.ndjson" --count 1000000 --rate 2000 --bad-fraction 0.02 --seed 11 >/dev/null 2>&1
  "$bin" run --source replay --file "$work/recent.ndjson" --symbols '*' --drain --no-dashboard --no-scheduler --data-dir "$store" >/dev/null 2>&1
  echo "  built in $(( $(date +%s) - start )) s: $(du -sh "$store" | cut -f1) on disk"
fi
"$bin" status --data-dir "$store" | head -3

echo "== routes the page polls, on that store (300 requests each, one keep-alive connection)"
"$bin" serve --port 18080 --data-dir "$store" 2>/dev/null &
serve=$!
wait_for http://127.0.0.1:18080/health
python3 - <<'PY'
import http.client, json, time
connection = http.client.HTTPConnection("127.0.0.1", 18080)
def get(path):
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
    return body
symbols = json.loads(get("/api/v1/symbols"))
aapl = next(s for s in symbols if s["symbol"] == "AAPL")
to = aapl["lastUpdate"]
counts = json.loads(get("/api/v1/quarantine/counts?bucket=1m"))
reasons = sorted(counts["totals"].items(), key=lambda item: item[1])
rare, common = reasons[0][0], reasons[-1][0]
H, D = 3_600_000, 86_400_000
def candles(interval, span):
    return f"/api/v1/candles?symbol=AAPL&interval={interval}&from={to - span}&to={to + 60_000}"
minute_bucket = to - to % H
routes = [
    ("page /", "/"),
    ("symbols", "/api/v1/symbols"),
    ("status", "/api/v1/status"),
    ("quality counts, last hour by minute", "/api/v1/quarantine/counts?bucket=1m"),
    ("latest 8 quarantined", "/api/v1/quarantine?limit=8"),
    (f"latest 8 quarantined, commonest reason ({common})", f"/api/v1/quarantine?limit=8&reason={common}"),
    (f"latest 8 quarantined, rarest reason ({rare})", f"/api/v1/quarantine?limit=8&reason={rare}"),
    ("candles 1m x 1H (the default view)", candles("1m", H)),
    ("candles 1m x 6H", candles("1m", 6 * H)),
    ("candles 1m x 1D", candles("1m", D)),
    ("candles 5m x 5D", candles("5m", 5 * D)),
    ("candles 15m x 5D", candles("15m", 5 * D)),
    ("candles 1h x 1M", candles("1h", 30 * D)),
    ("candles 1d x 1M", candles("1d", 30 * D)),
    ("minutes of the newest 1h candle", f"/api/v1/candles?symbol=AAPL&interval=1m&from={minute_bucket}&to={minute_bucket + H - 1}"),
]
print(f"  {'route':58} {'bytes':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for name, path in routes:
    for _ in range(20):
        get(path)
    times, size = [], 0
    for _ in range(300):
        start = time.perf_counter()
        size = len(get(path))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"  {name:58} {size:9d} {times[149]:8.2f} {times[296]:8.2f} {times[-1]:8.2f}")
PY
kill -INT $serve; wait $serve 2>/dev/null || true

echo "== memory: the same live run (simulator, 10,000 trades/s, on that store) for 60 s, without and with the dashboard and a page open"
for mode in without with; do
  if [ $mode = without ]; then
    "$bin" run --rate 10000 --no-dashboard --no-scheduler --data-dir "$store" 2>"$work/$mode.err" &
    pid=$!
    sleep 3
  else
    "$bin" run --rate 10000 --port 18081 --no-scheduler --data-dir "$store" 2>"$work/$mode.err" &
    pid=$!
    wait_for http://127.0.0.1:18081/health
    chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chrome" --window-size=1600,1000 \
      --remote-debugging-port=0 http://127.0.0.1:18081/ >/dev/null 2>&1 &
    browser=$!
  fi
  peak=0
  for _ in $(seq 1 30); do
    sleep 2
    kb=$(anon_kb $pid)
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  last=$(anon_kb $pid)
  echo "  $mode the dashboard: anonymous memory at 60 s $(( last / 1024 )) MB, peak $(( peak / 1024 )) MB"
  echo "$peak" >"$work/$mode.peak"
  [ $mode = with ] && { kill "$browser" 2>/dev/null || true; wait "$browser" 2>/dev/null || true; }
  kill -INT $pid; wait $pid 2>/dev/null || true
done
echo "  difference of the peaks: $(( ($(cat "$work/with.peak") - $(cat "$work/without.peak")) / 1024 )) MB (goal: at most 50)"

echo "== live stream: 10,000 trades/s, 50 clients, 60 s"
"$bin" run --rate 10000 --port 18082 --no-scheduler --data-dir "$store" 2>"$work/live.err" &
pid=$!
wait_for http://127.0.0.1:18082/health
for i in $(seq 1 50); do curl -sN http://127.0.0.1:18082/api/v1/stream >"$work/client-$i.txt" & done
sleep 60
events=$(for i in $(seq 1 50); do grep -c '^event: tick' "$work/client-$i.txt" || true; done | sort -n | tr '\n' ' ')
echo "  events per client over 60 s (one a second): $(echo "$events" | awk '{print "min " $1 ", max " $NF}'), anonymous memory $(( $(anon_kb $pid) / 1024 )) MB"
kill -INT $pid; wait $pid 2>/dev/null || true
