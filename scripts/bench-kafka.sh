#!/usr/bin/env bash
# stockpipe on Kafka next to plain librdkafka, on one mock cluster (3 brokers, replication 3, 6
# partitions) in its own process, on the same records in the same run:
#   - the peer: scripts/peer/kafka_hop.c produces the staged records, then a consumer group reads
#     them back, configured as stockpipe's clients are; one hop's records/s = records / (both halves),
#     each the better of two runs;
#   - our consumer alone (stockpipe-bench consume) reading the records the peer produced, next to
#     the peer's consumer once joined;
#   - `stockpipe run --log kafka --drain` (three hops and the store) on the feed they came from,
#     its trades/s, CPU time, and the time from start to the first trade stored.
# The feed: time-ordered trades, 1-5 per message, 12 symbols (scripts/peer/feed.py).
# Usage: scripts/bench-kafka.sh [trades]   (default 200,000; STOCKPIPE_BENCH_BINARY=path skips the build)
set -euo pipefail
count=${1:-200000}
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/bench.sh
. scripts/lib/bench.sh
bench_binary
swift build -c release --product stockpipe-bench >/dev/null
bench_tool=$(swift build -c release --show-bin-path)/stockpipe-bench
work=$(mktemp -d)
mock=
trap '[ -n "$mock" ] && kill "$mock" 2>/dev/null; rm -rf "$work"' EXIT
read -r -a rdkafka < <(pkg-config --cflags --libs rdkafka)
cc -O2 -o "$work/kafka_hop" scripts/peer/kafka_hop.c "${rdkafka[@]}"

python3 scripts/peer/feed.py "$work/feed.ndjson" --trades "$count" --per-message 1-5 >/dev/null
# The records ingest stages from it: one per trade, keyed by symbol, with its source.
python3 - "$work/feed.ndjson" "$work/records.tsv" <<'PY'
import json, sys
with open(sys.argv[1]) as feed, open(sys.argv[2], "w") as out:
    offset = 0
    for line in feed:
        for index, trade in enumerate(json.loads(line)["data"]):
            value = json.dumps(trade, separators=(",", ":"))
            out.write(f"{trade['s']}\treplay:{sys.argv[1]}:@{offset}#{index}\t{value}\n")
        offset += len(line.encode())
PY

# start_mock: a fresh mock cluster in its own process; sets $mock and $brokers.
start_mock() {
  if [ -n "$mock" ]; then
    kill "$mock" 2>/dev/null || true
    wait "$mock" 2>/dev/null || true
  fi
  rm -f "$work/brokers"
  "$bin" dev kafka --partitions 6 >"$work/brokers" 2>/dev/null &
  mock=$!
  for _ in $(seq 100); do [ -s "$work/brokers" ] && break; sleep 0.1; done
  brokers=$(cat "$work/brokers")
}

start_mock
# The peer runs twice, on two topics of the same cluster, and each half counts at its best: its
# consumer sometimes stalls a second after its first record (librdkafka's one-second timer).
read -r _ records _ produce _ consume _ join < <("$work/kafka_hop" "$brokers" staging bench "$work/records.tsv")
read -r _ _ _ produce2 _ consume2 _ join2 < <("$work/kafka_hop" "$brokers" bad_stock_data bench "$work/records.tsv")
read -r produce consume join < <(python3 -c "
p, c = min($produce, $produce2), min(($consume - $join, $consume, $join), ($consume2 - $join2, $consume2, $join2))
print(p, c[1], c[2])")
peer_rate=$(python3 -c "print(round($records / ($produce + $consume)))")
peer_rate_joined=$(python3 -c "print(round($records / ($produce + $consume - $join)))")
read -r _ ours _ our_consume _ our_first < <("$bench_tool" consume "$brokers" staging "$records")
peer_consume_rate=$(python3 -c "print(round($records / ($consume - $join)))")
our_consume_rate=$(python3 -c "print(round($ours / ($our_consume - $our_first)))")

start_mock
python3 - "$work/data/store.sqlite" >"$work/first" <<'PY' &
import os, sqlite3, sys, time
start = time.monotonic()
while time.monotonic() - start < 300:
    try:
        if os.path.exists(sys.argv[1]) and sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM trades").fetchone()[0] > 0:
            print(f"{time.monotonic() - start:.2f}")
            break
    except sqlite3.Error:
        pass
    time.sleep(0.02)
PY
watcher=$!
/usr/bin/time -o "$work/time" -f "%e %U %S %M" "$bin" run --brokers "$brokers" --kafka-property session.timeout.ms=6000 \
  --source replay --file "$work/feed.ndjson" --symbols '*' --drain --no-dashboard --no-scheduler \
  --data-dir "$work/data" >"$work/run.out" 2>&1 || { cat "$work/run.out"; exit 1; }
wait "$watcher" || true
read -r wall user system peak <"$work/time"

echo "$count trades, 1-5 per message, time-ordered, 12 symbols; mock cluster of 3 brokers in its own process, 6 partitions, RF 3"
printf 'librdkafka, one hop (best of 2):   produce %.2f s + consume %.2f s (of which the group join %.2f s) = %s records/s, %s once joined\n' \
  "$produce" "$consume" "$join" "$peer_rate" "$peer_rate_joined"
python3 -c "print(f'consume alone, from the first record to the commit: librdkafka {$peer_consume_rate:,} records/s, ours {$our_consume_rate:,} records/s ({$our_consume_rate / $peer_consume_rate:.2f}); ours started reading after {$our_first:.2f} s (the peer after its group join, {$join:.2f} s)')"
python3 - "$count" "$wall" "$user" "$system" "$peak" "$peer_rate" "$peer_rate_joined" "$(cat "$work/first" 2>/dev/null || echo '?')" <<'PY'
import sys
count, wall, user, system, peak, peer, joined, first = sys.argv[1:]
count, wall, cpu, peer, joined = int(count), float(wall), float(user) + float(system), int(peer), int(joined)
rate = count / wall
print(f"stockpipe run --drain: {wall:.2f} s, {rate:,.0f} trades/s, CPU {cpu:.2f} s ({cpu / wall:.2f} cores busy), "
      f"peak {int(peak) // 1024} MB, first trade stored after {first} s")
print(f"ratio to one librdkafka hop: {rate / peer:.2f} with its group join, {rate / joined:.2f} without")
PY
grep -E "reconcile" "$work/run.out" || true
