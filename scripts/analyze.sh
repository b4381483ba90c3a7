#!/bin/sh
# Static analysis for `make analyze` and CI: cppcheck over the program's own sources, each
# compiled as the build compiles it (BUILD/compile_commands.json). Fails on any finding.
#   analyze.sh [BUILD]
# Why cppcheck and not clang's analyzer (scan-build): on this tree cppcheck's warning and
# portability checks found one false positive in the library (suppressed where it is, with
# the reason), while scan-build reported 23 path-sensitive null dereferences, most through
# callers that never pass NULL, and took several times as long. A false positive is
# suppressed on its line (// cppcheck-suppress ID, with a comment saying why), never here.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}

if ! command -v cppcheck >/dev/null 2>&1; then
    echo "analyze: cppcheck is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
fi
if [ ! -f "$build/compile_commands.json" ]; then
    echo "analyze: no $build/compile_commands.json: configure first (make configure)" >&2
    exit 1
fi
# The library and programs; tests, the testbed, benchmarks and fuzzers are tools for them.
cppcheck -q --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
    --project="$build/compile_commands.json" -j "$(nproc 2>/dev/null || echo 2)" \
    -i fuzzers -i tests -i bench -i testbed
echo "analyze: cppcheck found nothing"
