#!/bin/sh
# What `make bench` runs, writing every figure it prints to docs/performance.md (with the
# date, the machine's core count and load) so that the README states no figure the bench did
# not print:
#   bench-probe against a fresh testbed: per-case medians beside openssl s_client, 1,000
#     healthy origins through --targets, the fleet mix (10,000 targets: 80% healthy, 10%
#     broken, 5% refused, 5% silent) at default settings under ulimit -n 1024, and 5,000
#     targets with 20% silent against none;
#   bench-scan: `fixorigin scan` over 200 stand-in services x 5 backends (wall time, API
#     requests, peak RSS), then 2,000 services x 5 backends with 5% silent against none.
# Extra arguments go to bench-probe (e.g. --runs 31); BENCH_SCAN_ARGS to the first
# bench-scan (e.g. "--runs 5 --concurrency 16"), BENCH_FLEET_ARGS to the second;
# BENCH_OUT names the file (default docs/performance.md beside this script).
# Usage: scripts/bench.sh BUILD_DIR [bench-probe options]
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
[ -x "$BUILD/bin/bench-probe" ] && [ -x "$BUILD/bin/bench-scan" ] ||
    { echo "bench: build first: make" >&2; exit 1; }
OUT=${BENCH_OUT:-$(dirname "$0")/../docs/performance.md}
mkdir -p "$(dirname "$OUT")"
status=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    "$BUILD/bin/bench-probe" --bin-dir "$BUILD/bin" "$@" || echo "(bench-probe exit $?)"
    echo
    # shellcheck disable=SC2086
    "$BUILD/bin/bench-scan" --bin-dir "$BUILD/bin" ${BENCH_SCAN_ARGS:-} ||
        echo "(bench-scan exit $?)"
    echo
    # shellcheck disable=SC2086
    "$BUILD/bin/bench-scan" --bin-dir "$BUILD/bin" ${BENCH_FLEET_ARGS:---services 2000 \
        --backends 5 --runs 1 --no-apply --compare-silent 5} || echo "(bench-scan exit $?)"
} 2>&1 | tee "$tmp"
grep -q "^(bench-" "$tmp" && status=1
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
{
    echo "# Performance: what \`make bench\` measured"
    echo
    echo "Written by \`make bench\` (scripts/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'):"
    echo "$(nproc) cores ($(uname -m)), load average $load when it ended; loopback only, the"
    echo "testbed and the stand-in API on the same cores. Ratios compare figures of this one run."
    echo "Do not edit by hand: run \`make bench\` again."
    echo
    echo '```'
    cat "$tmp"
    echo '```'
} > "$OUT"
echo "bench: figures written to $OUT"
exit "$status"
