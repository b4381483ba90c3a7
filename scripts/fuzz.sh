#!/bin/sh
# Fuzzes every target of fuzzers/ (one per parser of untrusted input) with libFuzzer under
# AddressSanitizer and UndefinedBehaviorSanitizer, one after another, each for the time given.
#   scripts/fuzz.sh short                  20 s a target: what CI runs
#   scripts/fuzz.sh [SECONDS] [TARGET...]  longer runs (default 300 s a target), all or some
# Fails (exit 1) when clang or libFuzzer is missing, when a target does not build, and when
# a target crashes, leaks, times out or breaks a property it checks; the input that did it
# is left in build-fuzz/crashes/ (add it to fuzzers/corpora/TARGET/ once fixed). Each run
# starts from the committed seeds (fuzzers/corpora/TARGET/) and what earlier runs found
# (build-fuzz/corpus/TARGET/); its figures go to build-fuzz/figures.txt.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-300}
[ $# -gt 0 ] && shift
case "$mode" in
short) seconds=20 ;;
*[!0-9]* | "")
    echo "usage: scripts/fuzz.sh short|SECONDS [TARGET...]" >&2
    exit 64
    ;;
*) seconds=$mode ;;
esac

fail() {
    echo "fuzz: $*" >&2
    exit 1
}
command -v clang >/dev/null 2>&1 ||
    fail "clang not found: fuzzing cannot run (scripts/install-deps.sh installs clang)"
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n; }' \
    >"$probe_dir/t.c"
clang -fsanitize=fuzzer,address,undefined "$probe_dir/t.c" -o "$probe_dir/t" \
    >"$probe_dir/log" 2>&1 || {
    cat "$probe_dir/log" >&2
    fail "clang cannot link libFuzzer: fuzzing cannot run (scripts/install-deps.sh installs libclang-rt-dev)"
}

targets=$*
if [ -z "$targets" ]; then
    for src in fuzzers/*_fuzzer.c; do
        name=${src##*/}
        targets="$targets ${name%_fuzzer.c}"
    done
fi

build="build-fuzz"
mkdir -p "$build/crashes"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFO_FUZZ=ON -DFO_SANITIZE=address,undefined -DFO_BUILD_TESTS=OFF >"$build/cmake.log" 2>&1 || {
    tail -40 "$build/cmake.log" >&2
    fail "cmake failed"
}
build_targets=""
for t in $targets; do
    [ -f "fuzzers/${t}_fuzzer.c" ] || fail "no target $t (fuzzers/${t}_fuzzer.c)"
    build_targets="$build_targets fuzz_$t"
done
# shellcheck disable=SC2086
cmake --build "$build" --target $build_targets -j 2 >"$build/build.log" 2>&1 || {
    tail -40 "$build/build.log" >&2
    fail "the fuzz targets do not build (log: $build/build.log)"
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=""
for t in $targets; do
    corpus="$build/corpus/$t"
    log="$build/fuzz-$t.log"
    mkdir -p "$corpus"
    dict=""
    [ -f "fuzzers/$t.dict" ] && dict="-dict=fuzzers/$t.dict"
    # New inputs go to the first directory; the committed seeds stay as they are. stdin is
    # empty: a targets file may name @/dev/stdin.
    # shellcheck disable=SC2086
    if "$build/fuzzers/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" $dict \
        "$corpus" "fuzzers/corpora/$t" </dev/null >"$log" 2>&1; then
        done_line=$(grep 'DONE' "$log" | tail -1)
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
        corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
        line="$t: ${seconds}s, $runs runs, cov $cov, ft $ft, corpus $corp"
        echo "fuzz: $line"
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $line" >>"$build/figures.txt"
    else
        tail -40 "$log" >&2
        echo "fuzz: $t FAILED (log: $log; the input is in $build/crashes/)" >&2
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $t: FAILED after at most ${seconds}s" \
            >>"$build/figures.txt"
        failed="$failed $t"
    fi
done
[ -z "$failed" ] || fail "targets that failed:$failed"
echo "fuzz: ok"
