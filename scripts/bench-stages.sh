#!/usr/bin/env bash
# What each stage process costs, for sizing containers (deploy/kubernetes): ingest, validate, load,
# serve and the scheduler as separate processes on librdkafka's mock cluster (`stockpipe dev kafka`,
# 3 brokers, 6 partitions; its own CPU is not counted) and the embedded store, release build.
#   steady: the simulator at RATE trades/s (default 2,000, a busy Finnhub session over all symbols)
#           for SECONDS (default 60): each process's CPU in cores and its resident memory, the most seen;
#   burst:  then TRADES (default 300,000) from scripts/peer/feed.py (12 symbols, 1-5 trades per
#           message, time order) staged at once: how long validate and load take to catch up, their
#           CPU meanwhile, and each process's peak memory (VmHWM) over the whole run. The mock keeps
#           only so much of each partition (it dropped records past about 80,000 per partition of
#           these), so the burst stays under that and the run checks that the counts reconcile.
# Usage: scripts/bench-stages.sh [rate] [seconds] [trades]   (STOCKPIPE_BENCH_BINARY=path skips the build)
set -euo pipefail
rate=${1:-2000}
seconds=${2:-60}
trades=${3:-300000}
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
bin=$(realpath "$bin")
work=$(mktemp -d)
pids=()
# The stages first (each finishes its batch), the cluster last, so that they can commit on the way out.
cleanup() {
  for pid in "${pids[@]:1}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:1}"; do timeout 20 tail --pid="$pid" -f /dev/null || true; done
  kill -INT "${pids[0]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" dev kafka --partitions 6 >"$work/kafka.out" 2>&1 &
pids+=($!)
brokers=
for _ in $(seq 100); do
  brokers=$(grep -o '127\.0\.0\.1:[0-9]*\(,127\.0\.0\.1:[0-9]*\)*' "$work/kafka.out" | head -1 || true)
  [ -n "$brokers" ] && break
  sleep 0.1
done
[ -n "$brokers" ] || { echo "the mock cluster did not start: $(cat "$work/kafka.out")" >&2; exit 1; }
common=(--brokers "$brokers" --kafka-property session.timeout.ms=6000 --data-dir "$work/data")

declare -A pid_of
start() {
  local name=$1
  shift
  "$bin" "$@" "${common[@]}" >"$work/$name.out" 2>&1 &
  pid_of[$name]=$!
  pids+=($!)
}
start validate validate
start load load
start serve serve --port 0
start scheduler scheduler
start ingest ingest --rate "$rate"
names=(ingest validate load serve scheduler)

# Every process still running, or the output of the one that stopped.
alive() {
  for name in "${names[@]}"; do
    kill -0 "${pid_of[$name]}" 2>/dev/null && continue
    echo "$name stopped: $(tail -5 "$work/$name.out")" >&2
    exit 1
  done
}
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
lag() {
  "$bin" status --json "${common[@]}" 2>/dev/null |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(sum(s["lag"] for s in d["stages"].values()))'
}

sleep 10  # past the group joins and the first batches
alive
declare -A cpu_at most
for name in "${names[@]}"; do cpu_at[$name]=$(cpu "${pid_of[$name]}"); most[$name]=0; done
for _ in $(seq "$seconds"); do
  for name in "${names[@]}"; do
    now=$(rss "${pid_of[$name]}")
    [ "$now" -gt "${most[$name]}" ] && most[$name]=$now
  done
  sleep 1
done
echo "== steady: the simulator at $rate trades/s for $seconds s (release build, 2-core VM)"
printf '  %-10s %8s %14s\n' stage cores "resident MB"
for name in "${names[@]}"; do
  printf '  %-10s %8.3f %14s\n' "$name" "$(echo "($(cpu "${pid_of[$name]}") - ${cpu_at[$name]}) / $seconds" | bc -l)" "${most[$name]}"
done

now_ms=$(( $(date +%s) * 1000 - 60000 ))
python3 scripts/peer/feed.py "$work/burst.ndjson" --trades "$trades" --per-message 1-5 --seed 7 --ends-before $(( now_ms - 600000 ))
alive
for name in "${names[@]}"; do cpu_at[$name]=$(cpu "${pid_of[$name]}"); done
began=$(date +%s.%N)
"$bin" ingest --source replay --file "$work/burst.ndjson" --symbols '*' --drain "${common[@]}" >"$work/burst.out" 2>&1
staged=$(echo "$(date +%s.%N) - $began" | bc)
until [ "$(lag)" -eq 0 ]; do sleep 0.5; done
alive
"$bin" status "${common[@]}" 2>/dev/null | grep -q "→ balanced" ||
  { echo "the counts do not reconcile: the mock dropped records (a smaller burst?)" >&2; exit 1; }
caught=$(echo "$(date +%s.%N) - $began" | bc)
echo "== burst: $trades trades staged at once (a second ingest, replay of a file) beside the simulator"
printf '  staged in %.1f s (%.0f trades/s); validate and load caught up after %.1f s (%.0f trades/s through both)\n' \
  "$staged" "$(echo "$trades / $staged" | bc -l)" "$caught" "$(echo "$trades / $caught" | bc -l)"
printf '  %-10s %14s %18s\n' stage "cores" "peak resident MB"
for name in "${names[@]}"; do
  printf '  %-10s %14.2f %18s\n' "$name" "$(echo "($(cpu "${pid_of[$name]}") - ${cpu_at[$name]}) / $caught" | bc -l)" \
    "$(hwm "${pid_of[$name]}")"
done
