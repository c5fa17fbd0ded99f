#!/usr/bin/env bash
# Release-build benchmarks of every stage, and the end-to-end replay with its peak memory.
# Usage: scripts/bench.sh [trades]   (default 1,000,000)
set -euo pipefail
count=${1:-1000000}
cd "$(dirname "$0")/.."
swift build -c release --product stockpipe >/dev/null
swift build -c release --product stockpipe-bench >/dev/null
bin=.build/release
"$bin/stockpipe-bench" "$count"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/stockpipe" simulate --out "$work/f.ndjson" --count "$count" --seed 7 >/dev/null
/usr/bin/time -f "stockpipe run --drain: %e s wall, %U s user, %S s system, peak memory %M KB" \
  "$bin/stockpipe" run --source replay --file "$work/f.ndjson" --drain --no-dashboard --data-dir "$work/data" 2>&1 \
  | grep -E "^stockpipe run|stopped after"
