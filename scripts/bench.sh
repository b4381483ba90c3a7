#!/bin/sh
# What `make bench` runs: bench-probe against a fresh testbed (1,000 extra
# healthy origins), printing per-case medians beside openssl s_client and the
# --targets figures. Extra arguments go to bench-probe (e.g. --runs 31).
# Usage: scripts/bench.sh BUILD_DIR [bench-probe options]
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
[ -x "$BUILD/bin/bench-probe" ] || { echo "bench: build first: make" >&2; exit 1; }
exec "$BUILD/bin/bench-probe" --bin-dir "$BUILD/bin" "$@"
