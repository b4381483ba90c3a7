#!/bin/sh
# Installs the Debian packages fixorigin needs to build, test and run, and only
# those that are missing. Non-interactive; safe to run again.
#   install-deps.sh          everything `make test`, `make package`, `make image` and CI use
#   install-deps.sh build    only what building the program and its package needs (Containerfile)
set -eu

BUILD_PACKAGES="build-essential cmake pkg-config libcurl4-openssl-dev libjansson-dev libssl-dev
libmicrohttpd-dev libpsl-dev dpkg-dev file"
# Tests and tools; clang with libFuzzer's runtime (libclang-rt-dev, only recommended by clang)
# for scripts/fuzz.sh; the last line is for the package, image and deployment examples' tests
# (tests/deploy/): a Debian root, an OCI image, unit and shell checks, YAML.
PACKAGES="$BUILD_PACKAGES check openssl ca-certificates curl clang-format clang libclang-rt-dev cppcheck
libyaml-dev gnutls-bin jq python3-jsonschema mmdebstrap umoci systemd shellcheck python3
python3-yaml logrotate
bash-completion zsh"
if [ "${1:-}" = build ]; then
    PACKAGES=$BUILD_PACKAGES
fi

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $pkg"
    fi
done
# The official Fastly CLI (used by the stand-in's fidelity test) comes from the npm
# registry; Node.js usually ships npm, so only ask Debian for it when it is absent.
if [ "${1:-}" != build ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: not root and no sudo; install these packages:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
