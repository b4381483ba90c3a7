#!/bin/sh
# Checks (or with "fix", applies) .clang-format on every C source the project tracks.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-check}
if ! command -v clang-format >/dev/null 2>&1; then
    echo "format: clang-format not found; run scripts/install-deps.sh" >&2
    exit 1
fi
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || exit 0
if [ "$mode" = fix ]; then
    # shellcheck disable=SC2086
    clang-format -i $files
else
    # shellcheck disable=SC2086
    if ! clang-format --dry-run --Werror $files 2>/tmp/fo-format.$$; then
        head -40 /tmp/fo-format.$$ >&2
        rm -f /tmp/fo-format.$$
        echo "format: run 'make format' to fix the files above" >&2
        exit 1
    fi
    rm -f /tmp/fo-format.$$
fi
