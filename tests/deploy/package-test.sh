#!/bin/sh
# The Debian package in a clean Debian 12 root (`make test-package`, run by .ci/run; slow, so
# not part of `make test`): apt installs build/fixorigin_<version>_<arch>.deb into a root made
# from Debian's packages (Essential and apt only), pulling in exactly its Depends; then
# fixorigin runs there: --version, probes of testbed origins served from this machine, and
# the scan unit's command as the user the package made, against the stand-in Fastly API.
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
MOCK_PID=""
trap 'stop_testbed; [ -z "$MOCK_PID" ] || kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
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
    /usr/share/bash-completion/completions/fixorigin /usr/share/zsh/vendor-completions/_fixorigin \
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

# The user postinst made, and its state directory, as the units and the cron line use them.
user=$(in_root "$root" getent passwd fixorigin) || die "postinst made no user fixorigin"
home=$(echo "$user" | cut -d: -f6)
uid=$(echo "$user" | cut -d: -f3) # the root's uid: this machine's names differ
[ "$home" = /var/lib/fixorigin ] || die "fixorigin's home is $home"
[ "$(stat -c %u "$root$home")" = "$uid" ] || die "$home is not fixorigin's (uid $uid)"
echo "ok: user fixorigin, state directory $home ($(stat -c %a "$root$home"))"

# The scan unit's command, as that user, against the stand-in Fastly API on this machine.
start_mock "$WORK"
echo package-test-token >"$root/tmp/fastly-token"
chmod 0444 "$root/tmp/fastly-token"
# shellcheck disable=SC2016 # systemd's variables, replaced as systemd would
cmd=$(unit_exec_start "$root/usr/lib/systemd/system/fixorigin-scan.service" |
    sed 's#${STATE_DIRECTORY}#/var/lib/fixorigin#g; s#${CREDENTIALS_DIRECTORY}#/tmp#g')
status=0
IN_ROOT_USER=fixorigin:fixorigin in_root "$root" env -i \
    FASTLY_API_ENDPOINT="$FASTLY_API_ENDPOINT" sh -c "$cmd" \
    >"$WORK/scan.ndjson" 2>"$WORK/scan.err" || status=$?
kill "$MOCK_PID" 2>/dev/null || true
MOCK_PID=""
case $status in
0 | 2 | 3 | 4 | 5) ;;
*) cat "$WORK/scan.err" >&2; die "the scan unit's command exited $status as fixorigin" ;;
esac
jq -e -s --argjson s "$status" 'last | .summary.exit_code == $s' "$WORK/scan.ndjson" >/dev/null ||
    die "the scan as fixorigin printed no summary"
echo "ok: the scan unit's command runs as fixorigin in the root (exit $status)"

start_testbed "$WORK"
probe_case "$root" healthy ok 0
probe_case "$root" certificate_expired certificate_expired 2
# And as an unprivileged user, as the systemd units and the image run it.
IN_ROOT_USER=65532:65532 probe_case "$root" healthy ok 0
stop_testbed

echo "package test ok ($(($(date +%s) - started)) s)"
