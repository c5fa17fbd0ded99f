# shellcheck shell=bash
# Sourced by the bench scripts, from the repository's root.

# bench_binary: sets $bin to the stockpipe binary to measure: $STOCKPIPE_BENCH_BINARY, or a release
# build made now.
bench_binary() {
  bin=${STOCKPIPE_BENCH_BINARY:-}
  if [ -z "$bin" ]; then
    swift build -c release --product stockpipe >/dev/null
    bin=.build/release/stockpipe
  fi
}
