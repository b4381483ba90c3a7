#!/bin/sh
# Installs the official Fastly CLI (npm package @fastly/cli-linux-x64) into a cache
# directory, only when it is not there yet, and prints the path of the `fastly` binary.
# The fidelity test drives testbed/fastly-mock with it: a client no one here wrote.
#
#   scripts/fastly-cli.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $XDG_CACHE_HOME/fixorigin (else ~/.cache/fixorigin), so every
# build directory shares one download. FASTLY_CLI_VERSION overrides the pinned version
# (pinned because the tests read the CLI's output). Exit 0 and the path on stdout; any
# failure (no npm, registry unreachable) exits 1 with one line on stderr: the tests need
# the CLI and must fail loudly rather than skip.
set -eu

version=${FASTLY_CLI_VERSION:-16.1.0}
cache=${1:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/fixorigin}
dir=$cache/fastly-cli-$version
bin=$dir/node_modules/@fastly/cli-linux-x64/fastly

fail() {
    echo "fastly-cli: $*" >&2
    exit 1
}

if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi

case $(uname -sm) in
"Linux x86_64") ;;
*) fail "the official CLI package here is for Linux x86_64, not $(uname -sm)" ;;
esac
command -v npm >/dev/null 2>&1 || fail "npm not found: install Node.js with npm to fetch @fastly/cli-linux-x64"
mkdir -p "$cache" || fail "cannot create cache directory $cache"

# Parallel test runs share the cache: one installs, the others wait for it.
exec 9>"$cache/.fastly-cli.lock"
if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || fail "timed out waiting for another install into $cache"
fi
if [ ! -x "$bin" ]; then
    tmp=$(mktemp -d "$cache/.fastly-cli-install.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if ! timeout 300 npm install --prefix "$tmp" --no-save --no-audit --no-fund \
        --no-package-lock --loglevel=error "@fastly/cli-linux-x64@$version" >"$tmp/npm.log" 2>&1; then
        tail -5 "$tmp/npm.log" >&2
        fail "could not install @fastly/cli-linux-x64@$version from the npm registry"
    fi
    [ -x "$tmp/node_modules/@fastly/cli-linux-x64/fastly" ] ||
        fail "@fastly/cli-linux-x64@$version installed no 'fastly' binary"
    rm -rf "$dir"
    mv "$tmp" "$dir" || fail "cannot move the CLI into $dir"
    trap - EXIT
    rm -f "$dir/npm.log"
fi
echo "$bin"
