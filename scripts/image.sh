#!/bin/sh
# `make image`: the container image the Containerfile describes, built without a registry or a
# container engine. The Containerfile's runtime stage is debian:12-slim plus the package (which
# pulls in its Depends: the runtime libraries and CA certificates), uid 65532, entrypoint
# fixorigin; here the same root is made from Debian's packages by mmdebstrap (minbase, with
# debian:12-slim's dpkg excludes), the package is installed into it, and umoci turns it into
# an OCI image:
#   BUILD/fixorigin-image/            the OCI layout (tag VERSION)
#   BUILD/fixorigin_VERSION_ARCH.oci.tar   the same as one archive:
#       podman load -i ...   or   skopeo copy oci-archive:... docker-daemon:fixorigin:VERSION
#
#   scripts/image.sh [BUILD]      (needs root; make package first)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
. scripts/deploy-lib.sh
need mmdebstrap umoci dpkg-deb unshare chroot tar

deb=$(find "$BUILD" -maxdepth 1 -name 'fixorigin_*_*.deb' | head -1)
[ -n "$deb" ] || die "no package in $BUILD: run make package"
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
# The package's Depends, without versions: what the Containerfile's apt-get pulls in.
depends=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/[[:space:]]//g')

# debian:12-slim's dpkg configuration: no documentation but copyright files, no manuals, no
# translations.
slim="path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/groff/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/linda/*
path-exclude=/usr/share/lintian/overrides/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/man/*"
set --
for opt in $slim; do
    set -- "$@" --dpkgopt="$opt"
done
key=$(printf '%s\n%s\n' "$depends" "$slim" | sha256sum | cut -c1-12)
base=$(debian_root "slim-$key" minbase --include="$depends" "$@")

out="$BUILD/fixorigin-image"
WORK=$(mktemp -d /tmp/fixorigin-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$out"
umoci init --layout "$out"
umoci new --image "$out:$version"
umoci unpack --image "$out:$version" "$WORK/bundle" >/dev/null
rootfs="$WORK/bundle/rootfs"
tar -C "$rootfs" -xf "$base"
cp "$deb" "$rootfs/tmp/fixorigin.deb"
in_root "$rootfs" dpkg -i /tmp/fixorigin.deb >"$WORK/dpkg.log" 2>&1 ||
    { cat "$WORK/dpkg.log"; die "dpkg could not install the package in the image"; }
# The state directory (per-service locks) belongs to the user the image runs as; a volume
# mounted there (the Kubernetes examples use an emptyDir) replaces it.
install -d -m 0700 -o 65532 -g 65532 "$rootfs/var/lib/fixorigin"
rm -rf "$rootfs/tmp/fixorigin.deb" "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/log/*.log "$rootfs/etc/resolv.conf"
: >"$rootfs/etc/resolv.conf"
umoci repack --image "$out:$version" "$WORK/bundle"
umoci config --image "$out:$version" --os linux --architecture "$(dpkg --print-architecture)" \
    --config.user 65532:65532 \
    --config.entrypoint fixorigin --config.cmd --help \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env XDG_STATE_HOME=/var/lib \
    --config.workingdir / \
    --config.label org.opencontainers.image.title=fixorigin \
    --config.label org.opencontainers.image.version="$version" \
    --config.label org.opencontainers.image.licenses=MIT \
    --history.created_by "scripts/image.sh: mmdebstrap minbase + $(basename "$deb")"
umoci gc --layout "$out"
rm -f "$BUILD/fixorigin_${version}_$arch.oci.tar"
tar -C "$out" -cf "$BUILD/fixorigin_${version}_$arch.oci.tar" .
echo "$out:$version"
echo "$BUILD/fixorigin_${version}_$arch.oci.tar"
