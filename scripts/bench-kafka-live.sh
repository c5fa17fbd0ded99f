#!/usr/bin/env bash
# Live latency on Kafka: `stockpipe run` with the simulator at 10,000 trades/s on librdkafka's mock
# cluster (3 brokers, 6 partitions, RF 3) in its own process; prints how the ingest-to-store
# latency of the trades stored between 20 s and 50 s after the start falls into the buckets of
# stockpipe_ingest_to_store_seconds (/metrics), leaving out the start (the groups' first join).
# Usage: scripts/bench-kafka-live.sh [--kafka-property NAME=VALUE ...]
#   (STOCKPIPE_BENCH_BINARY=path skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
work=$(mktemp -d)
mock=
run=
trap '[ -n "$run" ] && kill "$run" 2>/dev/null; [ -n "$mock" ] && kill "$mock" 2>/dev/null; rm -rf "$work"' EXIT
"$bin" dev kafka --partitions 6 >"$work/brokers" 2>/dev/null &
mock=$!
for _ in $(seq 100); do [ -s "$work/brokers" ] && break; sleep 0.1; done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" run --brokers "$(cat "$work/brokers")" --kafka-property session.timeout.ms=6000 "$@" --source simulator \
  --rate 10000 --port "$port" --no-scheduler --data-dir "$work/data" >"$work/run.out" 2>&1 &
run=$!
sleep 20
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^stockpipe_ingest_to_store_seconds_(bucket|count)' >"$work/first"
sleep 30
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^stockpipe_ingest_to_store_seconds_(bucket|count)' >"$work/second"
python3 - "$work/first" "$work/second" <<'PY'
import sys
def load(path):
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in open(path)}
first, second = load(sys.argv[1]), load(sys.argv[2])
count = "stockpipe_ingest_to_store_seconds_count"
total = second[count] - first[count]
print(f"simulator at 10,000 trades/s on the mock cluster: {total:,.0f} trades stored in 30 s ({total / 30:,.0f}/s)")
for key in second:
    if "le=" in key and key in first:
        bound = key.split('le="')[1].rstrip('"}')
        print(f"  ingest to store within {bound} s: {(second[key] - first[key]) / total * 100:6.2f} %")
PY
