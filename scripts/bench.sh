#!/usr/bin/env bash
# Release-build benchmarks of every stage, and the end-to-end replay with its peak memory.
# Usage: scripts/bench.sh [trades]   (default 1,000,000)
set -euo pipefail
count=${1:-1000000}
cd "$(dirname "$0")/.."
swift build -c release --product stockpipe >/dev/null
swift build -c release --product stockpipe-bench >/dev/null
bin=.build/release

# A real Cassandra 1.2.0 (scripts/cassandra-1.2.sh) for the Cassandra store's numbers; without
# Java they are left out.
cassandra_port=$(( 30000 + RANDOM % 20000 ))
cassandra_dir=$(mktemp -d)
cassandra_pid=
if command -v java >/dev/null; then
  scripts/cassandra-1.2.sh "$cassandra_port" "$cassandra_dir" >"$cassandra_dir/out.log" 2>&1 &
  cassandra_pid=$!
  for _ in $(seq 120); do (echo >"/dev/tcp/127.0.0.1/$cassandra_port") 2>/dev/null && break; sleep 0.5; done
  export STOCKPIPE_BENCH_CASSANDRA="127.0.0.1:$cassandra_port"
fi
trap '[ -n "$cassandra_pid" ] && kill $cassandra_pid 2>/dev/null; rm -rf "$cassandra_dir"' EXIT
"$bin/stockpipe-bench" "$count"
[ -n "$cassandra_pid" ] && kill "$cassandra_pid" 2>/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work" "$cassandra_dir"' EXIT
"$bin/stockpipe" simulate --out "$work/f.ndjson" --count "$count" --seed 7 >/dev/null
/usr/bin/time -f "stockpipe run --drain: %e s wall, %U s user, %S s system, peak memory %M KB" \
  "$bin/stockpipe" run --source replay --file "$work/f.ndjson" --drain --no-dashboard --data-dir "$work/data" 2>&1 \
  | grep -E "^stockpipe run|stopped after"

# The peer: the Python one-hop script stockpipe replaces, on the same feeds in this run.
STOCKPIPE_BENCH_BINARY="$bin/stockpipe" scripts/bench-peer.sh "$count"
# Whether the cost per trade stays flat: 10,000,000 trades, and 1,000,000 more into that store.
STOCKPIPE_BENCH_BINARY="$bin/stockpipe" scripts/bench-scale.sh $(( count * 10 ))

# On Kafka next to plain librdkafka's one hop, on one mock cluster in its own process.
STOCKPIPE_BENCH_BINARY="$bin/stockpipe" scripts/bench-kafka.sh 200000
STOCKPIPE_BENCH_BINARY="$bin/stockpipe" scripts/bench-kafka-live.sh
# Kafka, as deployed: the mock cluster (3 brokers, RF 3) in its own process, the pipeline in another.
# The mock keeps at most 5 MiB per partition, so the run is capped at 500,000 trades on 64 partitions.
kafka_count=$(( count < 500000 ? count : 500000 ))
"$bin/stockpipe" simulate --out "$work/k.ndjson" --count "$kafka_count" --seed 7 >/dev/null
"$bin/stockpipe" dev kafka --partitions 64 >"$work/brokers" 2>/dev/null &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$work" "$cassandra_dir"' EXIT
for _ in $(seq 50); do [ -s "$work/brokers" ] && break; sleep 0.1; done
/usr/bin/time -f "stockpipe run --drain on Kafka ($kafka_count trades): %e s wall, peak memory %M KB" \
  "$bin/stockpipe" run --brokers "$(cat "$work/brokers")" --kafka-property session.timeout.ms=6000 \
  --source replay --file "$work/k.ndjson" --drain --no-dashboard --data-dir "$work/kafka" 2>&1 \
  | grep -E "^stockpipe run|stopped after|reconcile"
