#!/usr/bin/env bash
# stockpipe's embedded path next to its peer, the Python one-hop script it replaces
# (scripts/peer/onehop.py), on the same feeds in the same run: 1, 1-5 and 100 trades per message,
# time-ordered, 12 symbols (scripts/peer/feed.py). Prints each one's trades/s and the ratio.
# Usage: scripts/bench-peer.sh [trades]   (default 1,000,000; STOCKPIPE_BENCH_BINARY=path skips the build)
set -euo pipefail
count=${1:-1000000}
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME COMMAND...: runs it under /usr/bin/time; leaves "wall user system peakKB" in $work/NAME.
measure() {
  local name=$1
  shift
  /usr/bin/time -o "$work/$name" -f "%e %U %S %M" "$@" >"$work/$name.out" 2>&1
}

echo "$count trades, python3 $(python3 -c 'import sqlite3, sys; print(sys.version.split()[0], "sqlite", sqlite3.sqlite_version)')"
printf '%-22s %12s %12s %7s %16s %10s\n' "trades per message" "peer /s" "stockpipe /s" "ratio" "stockpipe us/trade" "peak MB"
for shape in 1 1-5 100; do
  python3 scripts/peer/feed.py "$work/feed.ndjson" --trades "$count" --per-message "$shape"
  rm -rf "$work/peer.db"* "$work/data"
  measure peer python3 scripts/peer/onehop.py "$work/feed.ndjson" "$work/peer.db"
  measure stockpipe "$bin" run --source replay --file "$work/feed.ndjson" --symbols '*' --drain --no-dashboard \
    --no-scheduler --data-dir "$work/data"
  grep -q "stored $count," "$work/peer.out" || { echo "the peer stored other than $count: $(cat "$work/peer.out")" >&2; exit 1; }
  grep -q "stored $(python3 -c "print(f'{$count:,}')")" "$work/stockpipe.out" \
    || { echo "stockpipe stored other than $count: $(tail -3 "$work/stockpipe.out")" >&2; exit 1; }
  read -r peer_wall _ _ _ <"$work/peer"
  read -r wall user system peak <"$work/stockpipe"
  awk -v shape="$shape" -v n="$count" -v pw="$peer_wall" -v w="$wall" -v u="$user" -v s="$system" -v m="$peak" \
    'BEGIN { printf "%-22s %12.0f %12.0f %6.2fx %16.2f %10.0f\n", shape, n / pw, n / w, pw / w, (u + s) / n * 1e6, m / 1024 }'
done
