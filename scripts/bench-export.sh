#!/usr/bin/env bash
# `stockpipe export` on stores of N and 4N trades (release build): rows per second and the process's
# peak memory, which must not grow with the store; beside it, the sqlite3 command-line shell writing
# the same trades table as CSV from the same store (the peer: no paging, no formatting of times), and
# pandas reading the export back.
# The stores: N trades from scripts/peer/feed.py (12 symbols, 1-5 trades per message, time order, one
# every 5 ms).
# Usage: scripts/bench-export.sh [trades]   (default 2,000,000; STOCKPIPE_BENCH_BINARY=path skips the build)
set -euo pipefail
trades=${1:-2000000}
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
bin=$(realpath "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak() { awk '/Maximum resident/ {printf "%.0f MB", $6 / 1024}' "$1"; }
for size in "$trades" $(( trades * 4 )); do
  store=$work/store-$size
  now=$(( $(date +%s) * 1000 - 60000 ))
  python3 scripts/peer/feed.py "$work/feed.ndjson" --trades "$size" --per-message 1-5 --seed 7 --ends-before $(( now - 600000 ))
  "$bin" run --source replay --file "$work/feed.ndjson" --symbols '*' --drain --no-dashboard --no-scheduler --data-dir "$store" >/dev/null 2>&1
  rm -f "$work/feed.ndjson"
  echo "== a store of $size trades"
  for what in "trades" "trades --format ndjson" "candles --interval 1h"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -v "$bin" export $what --data-dir "$store" --out "$work/out" 2>"$work/time" >/dev/null
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    rows=$(grep -o 'exported [0-9,]*' "$work/time" | tr -dc 0-9)
    printf '  stockpipe export %-22s %12s rows  %6.1f s  %10.0f rows/s  peak %s  %s\n' "$what" "$rows" "$seconds" \
      "$(echo "$rows / $seconds" | bc -l)" "$(peak "$work/time")" "$(du -h "$work/out" | cut -f1)"
  done
  start=$(date +%s.%N)
  /usr/bin/time -v sqlite3 -csv -header "$store/store.sqlite" \
    "SELECT ts, symbol, price, volume, conditions, hex(id) FROM trades ORDER BY symbol, ts, id" >"$work/peer.csv" 2>"$work/time"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  printf '  sqlite3 -csv (peer)                      %12s rows  %6.1f s  %10.0f rows/s  peak %s\n' "$size" "$seconds" \
    "$(echo "$size / $seconds" | bc -l)" "$(peak "$work/time")"
  "$bin" export trades --data-dir "$store" --out "$work/out.csv" 2>/dev/null
  start=$(date +%s.%N)
  python3 -c "import pandas as pd, sys; print(len(pd.read_csv(sys.argv[1], parse_dates=['time'])))" "$work/out.csv" >/dev/null
  printf '  pandas.read_csv of the trades export: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
  rm -rf "$store" "$work/out" "$work/out.csv" "$work/peer.csv"
done
