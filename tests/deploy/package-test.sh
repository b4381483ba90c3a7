#!/bin/sh
# The Debian package in a clean Debian 12 root (`make test-package`, run by .ci/run; slow, so
# not part of `make test`): apt installs build/fixorigin_<version>_<arch>.deb into a root made
# from Debian's packages (Essential and apt only), pulling in exactly its Depends; then
# fixorigin runs there: --version, and probes of testbed origins served from this machine.
# A library missing from Depends fails the probe (the loader cannot start the binary).
#
#   tests/deploy/package-test.sh [BUILD]      (needs root: chroot, mount)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. scripts/deploy-lib.sh
need mmdebstrap unshare chroot jq dpkg-deb

deb=$(find "$BUILD" -maxdepth 1 -name 'fixorigin_*_*.deb' | head -1)
[ -n "$deb" ] || die "no package in $BUILD: run make package"
version=$(dpkg-deb -f "$deb" Version)
started=$(date +%s)
base=$(debian_root apt apt)

WORK=$(mktemp -d /tmp/fixorigin-package-test.XXXXXX)
trap 'stop_testbed; rm -rf "$WORK"' EXIT
root="$WORK/root"
mkdir "$root"
tar -C "$root" -xf "$base"
cp "$deb" "$root/tmp/fixorigin.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

echo "== apt-get install ./$(basename "$deb") in a clean Debian 12 root"
in_root "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends /tmp/fixorigin.deb' >"$WORK/apt.log" 2>&1 || {
    tail -30 "$WORK/apt.log"
    die "apt could not install the package"
}

# What the package put where.
for f in /usr/bin/fixorigin /usr/share/man/man1/fixorigin.1 /usr/share/doc/fixorigin/copyright \
    /usr/lib/systemd/system/fixorigin-scan.service /usr/lib/systemd/system/fixorigin-scan.timer \
    /usr/lib/systemd/system/fixorigin-serve.service \
    /usr/share/doc/fixorigin/examples/kubernetes/fixorigin-scan-cronjob.yaml \
    /etc/ssl/certs/ca-certificates.crt; do
    [ -e "$root$f" ] || die "$f is missing after installing the package"
done
cmp -s "$root/usr/share/doc/fixorigin/copyright" LICENSE || die "copyright is not LICENSE"
# Disabled by default: nothing enabled the units (no symlink in any .wants directory).
enabled=$(find "$root/etc/systemd" "$root/usr/lib/systemd" -type l -name 'fixorigin*' 2>/dev/null)
[ -z "$enabled" ] || die "the package enabled units: $enabled"
if in_root "$root" ldd /usr/bin/fixorigin | grep 'not found'; then
    die "libraries missing from Depends"
fi
echo "ok: installed; Depends: $(dpkg-deb -f "$deb" Depends)"

out=$(in_root "$root" fixorigin --version)
[ "$out" = "fixorigin $version" ] || die "fixorigin --version says '$out', the package is $version"
echo "ok: $out"
in_root "$root" man -w fixorigin >/dev/null 2>&1 || [ -s "$root/usr/share/man/man1/fixorigin.1" ] ||
    die "no man page"

start_testbed "$WORK"
probe_case "$root" healthy ok 0
probe_case "$root" certificate_expired certificate_expired 2
# And as an unprivileged user, as the systemd units and the image run it.
IN_ROOT_USER=65532:65532 probe_case "$root" healthy ok 0
stop_testbed

echo "package test ok ($(($(date +%s) - started)) s)"
