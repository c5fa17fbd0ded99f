#!/usr/bin/env bash
# A longer fuzz run than CI's: many seeds of random and edge-case feed lines through ingest,
# validate and load (Tests/StockpipeTests/FuzzTests.swift). A crash or a count that does not
# reconcile stops the run and names the seed, which repeats it exactly:
#   FUZZ_SEED=SEED swift test --filter FuzzTests
# Usage: scripts/fuzz.sh [seeds (20)] [lines per seed (20000)] [first seed (1)]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-20}
lines=${2:-20000}
first=${3:-1}
swift build --build-tests >/dev/null
for ((seed = first; seed < first + seeds; seed++)); do
    echo "seed $seed: $lines lines"
    if ! FUZZ_SEED=$seed FUZZ_LINES=$lines swift test --skip-build --filter FuzzTests >"/tmp/stockpipe-fuzz-$seed.log" 2>&1; then
        echo "seed $seed failed; the output is in /tmp/stockpipe-fuzz-$seed.log" >&2
        exit 1
    fi
done
echo "all $seeds seeds passed"
