# shellcheck shell=sh
# Shared by `make image` and the package and image tests (tests/deploy/): a cached Debian 12
# root made by mmdebstrap from Debian's packages, a chroot into an unpacked root, the testbed
# origins and the stand-in Fastly API.
# Sourced (POSIX sh); the caller sets -eu.

die() {
    echo "FAIL: $*" >&2
    exit 1
}

need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (scripts/install-deps.sh)"
    done
}

# The machine's own Debian sources (mirror, updates, security) when it has them, so the root
# gets the library versions the binary was built against; else mmdebstrap's default mirror.
debian_sources() {
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        echo /etc/apt/sources.list.d/debian.sources
    elif [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
        echo /etc/apt/sources.list
    else
        echo http://deb.debian.org/debian
    fi
}

# debian_root NAME VARIANT [mmdebstrap options...]: prints the path of a tarball of a Debian
# 12 root of that variant, made once and reused for a week (making one takes minutes); NAME
# tells roots made with different options apart. The cache is $FO_CACHE_DIR, else
# ~/.cache/fixorigin; a lock keeps two runs from making one root at once.
debian_root() {
    name=$1 variant=$2
    shift 2
    cache=${FO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fixorigin}
    mkdir -p "$cache"
    tarball="$cache/debian12-$name.tar"
    (
        flock 9
        if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +7)" ]; then
            exit 0
        fi
        echo "== making a Debian 12 root ($name) with mmdebstrap; cached in $tarball" >&2
        rm -f "$tarball.tmp"
        mmdebstrap --quiet --mode=root --format=tar --variant="$variant" "$@" bookworm \
            "$tarball.tmp" "$(debian_sources)" >&2 || exit 1
        mv "$tarball.tmp" "$tarball"
    ) 9>"$cache/.lock" || die "mmdebstrap could not make the Debian root"
    echo "$tarball"
}

# in_root ROOT COMMAND...: runs COMMAND chrooted into ROOT with /proc and /dev, in a mount
# namespace of its own so nothing stays mounted when it ends; as the user IN_ROOT_USER
# (UID:GID) when set. The network is the machine's (loopback origins and Debian's mirror).
in_root() {
    r=$1
    shift
    # shellcheck disable=SC2016 # the inner shell expands them
    unshare --mount --propagation private -- sh -c '
        r=$1; shift
        mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" || exit 125
        exec chroot ${IN_ROOT_USER:+--userspec="$IN_ROOT_USER"} "$r" "$@"' in_root "$r" "$@"
}

# unit_exec_start UNIT_FILE: the unit's ExecStart= command, continuation lines joined.
unit_exec_start() {
    sed -n '/^ExecStart=/,/[^\\]$/p' "$1" | sed 's/^ExecStart=//; s/\\$//' | tr '\n' ' '
}

# wait_started PID WHAT LOG COMMAND...: runs COMMAND every 0.1 s until it succeeds (the
# program started as PID is ready); dies naming WHAT, with LOG shown, when 30 s pass or PID
# ends first.
wait_started() {
    started_pid=$1 started_what=$2 started_log=$3
    shift 3
    tries=0
    until "$@"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 300 ] || ! kill -0 "$started_pid" 2>/dev/null; then
            cat "$started_log" >&2
            die "$started_what did not start"
        fi
        sleep 0.1
    done
}

# wait_serve PID OUT ERR WHAT: waits for the fixorigin serve started as PID to print its
# listening line to OUT; sets SERVE_URL.
wait_serve() {
    wait_started "$1" "$4" "$3" grep -qs 'listening on' "$2"
    # shellcheck disable=SC2034 # for the caller
    SERVE_URL=$(sed -n 's/.*listening on //p' "$2")
}

# start_testbed DIR: serves the testbed origins from DIR; sets TESTBED_PID and MANIFEST.
start_testbed() {
    "$BUILD/bin/testbed-origins" --dir "$1/testbed" >"$1/testbed.out" 2>"$1/testbed.err" &
    TESTBED_PID=$!
    wait_started "$TESTBED_PID" testbed-origins "$1/testbed.err" grep -qs '^ready ' "$1/testbed.out"
    MANIFEST=$(sed -n 's/^ready //p' "$1/testbed.out")
}

stop_testbed() {
    if [ -n "${TESTBED_PID:-}" ]; then
        kill "$TESTBED_PID" 2>/dev/null || true
        wait "$TESTBED_PID" 2>/dev/null || true
        TESTBED_PID=
    fi
}

# start_mock DIR: serves the stand-in Fastly API (fastly-mock's example services) from DIR;
# sets MOCK_PID and FASTLY_API_ENDPOINT (not exported).
start_mock() {
    "$BUILD/bin/fastly-mock" --example-state >"$1/mock-state.json"
    "$BUILD/bin/fastly-mock" --listen 127.0.0.1:0 --state "$1/mock-state.json" \
        --port-file "$1/mock.port" >"$1/mock.out" 2>&1 &
    MOCK_PID=$!
    wait_started "$MOCK_PID" fastly-mock "$1/mock.out" test -s "$1/mock.port"
    # shellcheck disable=SC2034 # for the caller
    FASTLY_API_ENDPOINT="http://127.0.0.1:$(cat "$1/mock.port")"
}

# probe_case ROOT CASE CLASS EXIT: copies the testbed's trust bundle into ROOT and
# probes CASE from inside ROOT with the case's own backend settings; checks the class named
# and the exit code.
probe_case() {
    root=$1 case=$2 want_class=$3 want_exit=$4
    host=$(jq -r --arg c "$case" '.cases[] | select(.case == $c) | .host' "$MANIFEST")
    port=$(jq -r --arg c "$case" '.cases[] | select(.case == $c) | .port' "$MANIFEST")
    sni=$(jq -r --arg c "$case" '.cases[] | select(.case == $c) | .settings.ssl_sni_hostname' \
        "$MANIFEST")
    if [ -z "$port" ] || [ "$port" = null ]; then
        die "no testbed case $case"
    fi
    cp "$(jq -r .trust_bundle "$MANIFEST")" "$root/tmp/trust-bundle.pem"
    chmod 0644 "$root/tmp/trust-bundle.pem"
    status=0
    in_root "$root" fixorigin probe --json --trust-bundle /tmp/trust-bundle.pem \
        --sni "$sni" --cert-hostname "$sni" "$host:$port" >"$root/tmp/probe.json" ||
        status=$?
    class=$(jq -r .class "$root/tmp/probe.json" 2>/dev/null || echo "(no JSON)")
    if [ "$status" != "$want_exit" ] || [ "$class" != "$want_class" ]; then
        die "probe of $case: exit $status, class $class; wanted exit $want_exit, class $want_class"
    fi
    echo "ok: fixorigin probe $case -> $class (exit $status) inside the root"
}
