#!/usr/bin/env bash
# Whether stockpipe's cost per trade stays flat as the work grows, on the embedded default:
# the same 1,000,000-trade feed into an empty data directory and into one that already holds
# N trades (10,000,000 by default), N trades in one run, and how long status and queries take
# on the small and the large store. Feeds: scripts/peer/feed.py, 1-5 trades per message, time
# order; the 1,000,000 trades come after the N in time.
# Usage: scripts/bench-scale.sh [trades]   (STOCKPIPE_BENCH_BINARY=path skips the build)
set -euo pipefail
big=${1:-10000000}
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now=$(( $(date +%s) * 1000 - 60000 ))
python3 scripts/peer/feed.py "$work/big.ndjson" --trades "$big" --per-message 1-5 --seed 7 \
  --ends-before $(( now - 1000000 * 5 - 60000 ))
python3 scripts/peer/feed.py "$work/next.ndjson" --trades 1000000 --per-message 1-5 --seed 8 --ends-before "$now"

# replay NAME FEED DIR: runs the pipeline on FEED into DIR; leaves "wall user system peakKB" in $work/NAME.time.
replay() {
  /usr/bin/time -o "$work/$1.time" -f "%e %U %S %M" "$bin" run --source replay --file "$2" --symbols '*' --drain \
    --no-dashboard --no-scheduler --data-dir "$3" >"$work/$1.out" 2>&1
  grep -q "counts reconcile" "$work/$1.out" || { echo "$1 did not reconcile: $(tail -3 "$work/$1.out")" >&2; exit 1; }
}
# timed NAME COMMAND...: the wall seconds of COMMAND, in $work/NAME.time.
timed() {
  local name=$1
  shift
  /usr/bin/time -o "$work/$name.time" -f "%e" "$@" >/dev/null 2>&1
}

replay small "$work/next.ndjson" "$work/small"
replay big "$work/big.ndjson" "$work/large"
replay next "$work/next.ndjson" "$work/large"

read -r small_wall _ _ _ <"$work/small.time"
printf '%-38s %12s %9s %12s %7s %10s %10s\n' "run" "trades" "seconds" "trades/s" "of 1M" "us/trade" "peak MB"
for run in small big next; do
  read -r wall user system peak <"$work/$run.time"
  case $run in
    small) label="1M into an empty store" n=1000000 ;;
    big) label="$(( big / 1000000 ))M into an empty store" n=$big ;;
    next) label="the same 1M into the $(( big / 1000000 ))M store" n=1000000 ;;
  esac
  awk -v l="$label" -v n="$n" -v w="$wall" -v u="$user" -v s="$system" -v m="$peak" -v sw="$small_wall" \
    'BEGIN { printf "%-38s %12d %9.2f %12.0f %6.0f%% %10.2f %10.0f\n", l, n, w, n / w, (n / w) / (1000000 / sw) * 100, (u + s) / n * 1e6, m / 1024 }'
done

# Reads on the 1M store and on the large one (which also holds the same 1M).
day=$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($now / 1000, datetime.timezone.utc).strftime('%Y-%m-%d'))")
printf '\n%-52s %10s %10s\n' "read" "1M store" "large"
for read in status candles trades; do
  for dir in small large; do
    case $read in
      status) timed "$read.$dir" "$bin" status --data-dir "$work/$dir" ;;
      candles) timed "$read.$dir" "$bin" query candles --symbol AAPL --from "$day" --interval 1m --data-dir "$work/$dir" ;;
      trades) timed "$read.$dir" "$bin" query trades --symbol AAPL --limit 10000 --data-dir "$work/$dir" ;;
    esac
  done
  case $read in
    status) label="stockpipe status (counts, reconciliation)" ;;
    candles) label="query candles --symbol AAPL --from today (1m)" ;;
    trades) label="query trades --symbol AAPL --limit 10000 (latest)" ;;
  esac
  printf '%-52s %9.2fs %9.2fs\n' "$label" "$(cat "$work/$read.small.time")" "$(cat "$work/$read.large.time")"
done
