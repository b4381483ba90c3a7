#!/bin/sh
# The container image `make image` built (`make test-image`, run by .ci/run; slow, so not part
# of `make test`): it says what the Containerfile says (runtime from debian:12-slim, user
# 65532, entrypoint, environment), holds the package and its runtime libraries but no build
# tools, and its fixorigin runs: unpacked with umoci and started the way an engine would (the
# image's user, environment and entrypoint; chroot, the machine's network): --version, probes
# of testbed origins, serve answering /healthz with its state in the image's directory.
# Where podman can start containers, the image also runs under podman.
#
#   tests/deploy/image-test.sh [BUILD]      (needs root)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. scripts/deploy-lib.sh
need umoci jq curl unshare chroot
BUILD=$(cd "$BUILD" && pwd)

archive=$(find "$BUILD" -maxdepth 1 -name 'fixorigin_*_*.oci.tar' | head -1)
[ -n "$archive" ] || die "no image in $BUILD: run make image"
started=$(date +%s)
WORK=$(mktemp -d /tmp/fixorigin-image-test.XXXXXX)
SERVE_PID=""
cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$(pgrep -P "$SERVE_PID")" "$SERVE_PID" 2>/dev/null || true
    fi
    stop_testbed
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/layout"
tar -C "$WORK/layout" -xf "$archive"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$WORK/layout/index.json")
manifest=$(jq -r '.manifests[0].digest' "$WORK/layout/index.json" | sed 's#:#/#')
config=$(jq -r '.config.digest' "$WORK/layout/blobs/$manifest" | sed 's#:#/#')
image="$WORK/layout/blobs/$config"

# The image's configuration is the Containerfile's runtime stage.
cf=Containerfile
runtime_from=$(sed -n 's/^FROM \([^ ]*\)$/\1/p' "$cf" | tail -1)
[ "$runtime_from" = debian:12-slim ] || die "the Containerfile's runtime stage is $runtime_from"
cf_user=$(sed -n 's/^USER //p' "$cf")
cf_entry=$(sed -n 's/^ENTRYPOINT //p' "$cf" | jq -c .)
cf_cmd=$(sed -n 's/^CMD //p' "$cf" | jq -c .)
cf_env=$(sed -n 's/^ENV //p' "$cf")
[ "$(jq -r .config.User "$image")" = "$cf_user" ] || die "image user is not the Containerfile's $cf_user"
[ "$cf_user" = 65532:65532 ] || die "the image must run as uid 65532"
[ "$(jq -c .config.Entrypoint "$image")" = "$cf_entry" ] || die "image entrypoint is not $cf_entry"
[ "$(jq -c .config.Cmd "$image")" = "$cf_cmd" ] || die "image cmd is not $cf_cmd"
jq -e --arg e "$cf_env" '.config.Env | index($e)' "$image" >/dev/null ||
    die "image environment lacks the Containerfile's $cf_env"
echo "ok: image $tag: user $cf_user, entrypoint $cf_entry, $cf_env, as the Containerfile says"

umoci unpack --image "$WORK/layout:$tag" "$WORK/bundle" >/dev/null
root="$WORK/bundle/rootfs"
# shellcheck disable=SC2016 # dpkg-query's format
version=$(in_root "$root" dpkg-query -W -f '${Version}' fixorigin)
[ "$version" = "$tag" ] || die "the image holds fixorigin $version, tagged $tag"
for f in /etc/ssl/certs/ca-certificates.crt /usr/bin/fixorigin; do
    [ -e "$root$f" ] || die "the image lacks $f"
done
for f in /usr/bin/gcc /usr/bin/cc /usr/bin/cmake /usr/bin/make; do
    [ ! -e "$root$f" ] || die "the image holds a build tool: $f"
done
# shellcheck disable=SC2016 # dpkg-query's format
dev=$(in_root "$root" dpkg-query -W -f '${Package}\n' | grep -e '-dev$' || true)
[ -z "$dev" ] || die "the image holds development packages: $dev"
[ "$(stat -c %u:%a "$root/var/lib/fixorigin")" = 65532:700 ] ||
    die "/var/lib/fixorigin is not the image user's"
echo "ok: fixorigin $version, CA certificates, no build tools; $(du -sm "$root" | cut -f1) MB unpacked"

# Started as an engine starts it: the runtime spec umoci made from the image (user,
# environment, entrypoint + cmd), in a chroot.
uid=$(jq -r .process.user.uid "$WORK/bundle/config.json")
gid=$(jq -r .process.user.gid "$WORK/bundle/config.json")
# shellcheck disable=SC2046 # one NAME=VALUE a word (no value has a space)
set -- $(jq -r '.process.env[]' "$WORK/bundle/config.json")
run_image() {
    IN_ROOT_USER="$uid:$gid" in_root "$root" env -i "$@"
}
entry=$(jq -r '.process.args[0]' "$WORK/bundle/config.json")
out=$(run_image "$@" "$entry" --version)
[ "$out" = "fixorigin $version" ] || die "the image's fixorigin --version says '$out'"
# shellcheck disable=SC2046 # entrypoint and cmd are words
run_image "$@" $(jq -r '.process.args[]' "$WORK/bundle/config.json") | grep -q '^usage: fixorigin' ||
    die "the image's default command does not print the usage"
echo "ok: $out as uid $uid"

start_testbed "$WORK"
IN_ROOT_USER="$uid:$gid" probe_case "$root" healthy ok 0
IN_ROOT_USER="$uid:$gid" probe_case "$root" certificate_expired certificate_expired 2

# serve with the image's defaults: its state (locks) in the image's /var/lib/fixorigin.
run_image "$@" FIXORIGIN_SERVE_TOKEN="$(printf '%048d' 7)" FASTLY_API_TOKEN=image-test-token \
    FASTLY_API_ENDPOINT=http://127.0.0.1:9 "$entry" serve \
    --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
wait_serve "$SERVE_PID" "$WORK/serve.out" "$WORK/serve.err" "the image's fixorigin serve"
url=$SERVE_URL
[ "$(curl -s "$url/healthz" | jq -r .status)" = ok ] || die "the image's serve: /healthz is not ok"
# $SERVE_PID is the shell running run_image; its one child is the chroot, exec'd into fixorigin.
kill -TERM "$(pgrep -P "$SERVE_PID")"
wait "$SERVE_PID" || die "the image's serve did not stop cleanly on SIGTERM"
SERVE_PID=""
run_image "$@" touch /var/lib/fixorigin/writable || die "the image's user cannot write its state"
echo "ok: the image's fixorigin serve answers /healthz (its state directory from XDG_STATE_HOME)"

# podman, where it can start a container (on this machine crun cannot set rlimits: then the
# chroot above is the run, and this says so).
if command -v podman >/dev/null 2>&1; then
    id=$(basename "$config") # the image's id is its config's digest
    status=0
    podman load -q -i "$archive" >/dev/null 2>"$WORK/podman.err" || status=125
    if [ "$status" = 0 ]; then
        podman run --rm --pull=never --network=host "$id" --version \
            >"$WORK/podman.out" 2>"$WORK/podman.err" || status=$?
        podman rmi -f "$id" >/dev/null 2>&1 || true
    fi
    if [ "$status" -ge 125 ]; then
        echo "note: podman cannot start containers here: $(tail -1 "$WORK/podman.err")"
    elif [ "$(cat "$WORK/podman.out")" = "fixorigin $version" ]; then
        echo "ok: podman run fixorigin --version"
    else
        die "podman run: exit $status, '$(cat "$WORK/podman.out")'"
    fi
fi
echo "image test ok ($(($(date +%s) - started)) s)"
