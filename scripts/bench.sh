#!/bin/sh
# What `make bench` runs: bench-probe against a fresh testbed (1,000 extra healthy
# origins), printing per-case medians beside openssl s_client and the --targets figures;
# then bench-scan, `fixorigin scan` over 200 stand-in services x 5 backends (wall time, API
# requests, peak RSS). Extra arguments go to bench-probe (e.g. --runs 31); BENCH_SCAN_ARGS
# to bench-scan (e.g. "--runs 5 --concurrency 16").
# Usage: scripts/bench.sh BUILD_DIR [bench-probe options]
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
[ -x "$BUILD/bin/bench-probe" ] && [ -x "$BUILD/bin/bench-scan" ] ||
    { echo "bench: build first: make" >&2; exit 1; }
status=0
"$BUILD/bin/bench-probe" --bin-dir "$BUILD/bin" "$@" || status=$?
echo
# shellcheck disable=SC2086
"$BUILD/bin/bench-scan" --bin-dir "$BUILD/bin" ${BENCH_SCAN_ARGS:-} || status=$?
exit "$status"
