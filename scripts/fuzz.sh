#!/bin/sh
# Fuzzes the probe's ServerHello parser (probe/hello.c) and the VCL reader and editor
# (vcl/vcl.c) with libFuzzer, each for the time given.
#   scripts/fuzz.sh short        about 25 s, what CI runs
#   scripts/fuzz.sh [SECONDS]    longer runs (default 300)
# Needs clang with libFuzzer; without them it exits 0 quietly, so CI on a machine
# without clang still passes. A crash exits non-zero and leaves the input in
# build-fuzz/crashes/.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-300}
case "$mode" in
short) seconds=25 ;;
*[!0-9]* | "")
    echo "usage: scripts/fuzz.sh short|SECONDS" >&2
    exit 64
    ;;
*) seconds=$mode ;;
esac

if ! command -v clang >/dev/null 2>&1; then
    exit 0
fi
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n; }' \
    >"$probe_dir/t.c"
if ! clang -fsanitize=fuzzer "$probe_dir/t.c" -o "$probe_dir/t" >/dev/null 2>&1; then
    exit 0 # clang without libFuzzer
fi

build=build-fuzz
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFO_FUZZ=ON \
    -DFO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz-hello fuzz-vcl -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

# Seeds: replies an origin really sends (ServerHello for TLS 1.2 and 1.3, an alert,
# plain HTTP), so the fuzzer starts inside the interesting paths.
corpus="$build/corpus"
mkdir -p "$corpus" "$build/crashes"
hello12='\026\003\003\000\112\002\000\000\106\003\003AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\040BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\300\057\000\000\000'
printf "$hello12" >"$corpus/server-hello-1.2"
printf '\026\003\003\000\132\002\000\000\126\003\003AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\040BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\023\001\000\000\016\000\053\000\002\003\004\000\063\000\004\000\035\000\000' \
    >"$corpus/server-hello-1.3"
printf '\025\003\003\000\002\002\120' >"$corpus/alert-80"
printf 'HTTP/1.1 400 Bad Request\r\n\r\n' >"$corpus/plain-http"

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$build/bin/fuzz-hello" \
    -max_total_time="$seconds" -max_len=20000 -timeout=10 -print_final_stats=0 \
    -artifact_prefix="$build/crashes/" "$corpus" 2>"$build/fuzz.log" || {
    tail -40 "$build/fuzz.log" >&2
    echo "fuzz: the parser failed; the input is in $build/crashes/" >&2
    exit 1
}
echo "fuzz: fuzz-hello ran ${seconds}s: $(grep -o 'DONE.*\|#[0-9]*.*DONE' "$build/fuzz.log" | tail -1)"

# The VCL reader and editor, seeded with the shapes real services have (vcl/fuzz/corpus).
vcl_corpus="$build/corpus-vcl"
mkdir -p "$vcl_corpus"
cp vcl/fuzz/corpus/* "$vcl_corpus/"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$build/bin/fuzz-vcl" \
    -max_total_time="$seconds" -max_len=20000 -timeout=10 -print_final_stats=0 \
    -artifact_prefix="$build/crashes/" "$vcl_corpus" 2>"$build/fuzz-vcl.log" || {
    tail -40 "$build/fuzz-vcl.log" >&2
    echo "fuzz: the VCL reader or editor failed; the input is in $build/crashes/" >&2
    exit 1
}
echo "fuzz: fuzz-vcl ran ${seconds}s: $(grep -o 'DONE.*\|#[0-9]*.*DONE' "$build/fuzz-vcl.log" | tail -1)"
