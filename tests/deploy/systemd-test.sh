#!/bin/sh
# The systemd units as the package installs them (`make test`, ctest deploy_systemd):
# `systemd-analyze verify` finds nothing to say about them (the binary and the man page they
# name exist, every directive is known), `systemd-analyze security --offline=yes` rates each
# service's exposure at most 2.0, and they keep their secrets and state where fixorigin reads
# them. Then each service's ExecStart runs as written (variables as systemd sets them) against
# the stand-in Fastly API: the flags are right and the credential file is read.
#
#   tests/deploy/systemd-test.sh [BUILD]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. scripts/deploy-lib.sh
need systemd-analyze jq curl
BUILD=$(cd "$BUILD" && pwd)
MAX_EXPOSURE=2.0

WORK=$(mktemp -d /tmp/fixorigin-systemd-test.XXXXXX)
MOCK_PID="" SERVE_PID=""
cleanup() {
    for pid in $MOCK_PID $SERVE_PID; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# A root holding what the package installs, plus systemd's own units (verify needs targets).
root="$WORK/root"
mkdir -p "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
DESTDIR="$root" cmake --install "$BUILD" --prefix /usr >/dev/null
units="fixorigin-scan.service fixorigin-scan.timer fixorigin-serve.service"
for u in $units; do
    cmp -s "examples/systemd/$u" "$root/usr/lib/systemd/system/$u" ||
        die "$u: the installed unit is not examples/systemd/$u"
done

# shellcheck disable=SC2086 # a list of unit names
MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" $units >"$WORK/verify" 2>&1 ||
    { cat "$WORK/verify"; die "systemd-analyze verify failed"; }
[ ! -s "$WORK/verify" ] || { cat "$WORK/verify"; die "systemd-analyze verify has warnings"; }
echo "ok: systemd-analyze verify $units"

for u in fixorigin-scan.service fixorigin-serve.service; do
    file="$root/usr/lib/systemd/system/$u"
    systemd-analyze security --offline=yes --root="$root" "$u" >"$WORK/security" 2>&1 || true
    score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$WORK/security")
    [ -n "$score" ] || { cat "$WORK/security"; die "$u: no exposure level"; }
    awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' ||
        { grep '✗' "$WORK/security"; die "$u: exposure $score, above $MAX_EXPOSURE"; }
    echo "ok: $u exposure $score (at most $MAX_EXPOSURE)"
    # What the issue asks of every unit, beyond the score.
    # A dedicated user: DynamicUser= would make the state directory a symbolic link, which
    # fixorigin refuses.
    if grep -q '^DynamicUser=yes' "$file"; then
        die "$u: DynamicUser=yes makes \$STATE_DIRECTORY a symbolic link fixorigin refuses"
    fi
    for d in '^User=fixorigin$' '^ProtectSystem=strict$' '^PrivateTmp=yes$' \
        '^NoNewPrivileges=yes$' '^RestrictAddressFamilies=' '^SystemCallFilter=@system-service$' \
        '^CapabilityBoundingSet=$' '^StateDirectory=fixorigin$' \
        '^LoadCredential=fastly-token:/etc/fixorigin/fastly-token$' '^StandardOutput=journal$'; do
        grep -q "$d" "$file" || die "$u lacks $d"
    done
    # Secrets never on a command line: the token through the credential, nothing else secret.
    if sed '/^#/d' "$file" | grep -E -q -- '--token[ =]|TOKEN=|SECRET='; then
        die "$u passes a secret in the unit itself"
    fi
done
grep -q '^EnvironmentFile=/etc/fixorigin/serve.env$' "$root/usr/lib/systemd/system/fixorigin-serve.service" ||
    die "fixorigin-serve.service: no required EnvironmentFile"
grep -q '^Unit=\|^OnCalendar=' "$root/usr/lib/systemd/system/fixorigin-scan.timer" ||
    die "the timer names no schedule"

# ExecStart VARIABLES: the unit's command (continuation lines joined), with the directories
# systemd would set and the binary of this build.
exec_start() {
    unit_exec_start "examples/systemd/$1" | sed "s#\${STATE_DIRECTORY}#$WORK/state#g;
            s#\${CREDENTIALS_DIRECTORY}#$WORK/credentials#g; s#^/usr/bin/fixorigin#$BUILD/bin/fixorigin#"
}
mkdir -p "$WORK/state" "$WORK/credentials"
chmod 0700 "$WORK/state"
printf 'unit-test-token-0123456789\n' >"$WORK/credentials/fastly-token"
start_mock "$WORK"
export FASTLY_API_ENDPOINT
unset FASTLY_API_TOKEN

status=0
sh -c "$(exec_start fixorigin-scan.service)" >"$WORK/scan.ndjson" 2>"$WORK/scan.err" || status=$?
# The stand-in's example services need a person (exit 5): any result is fine here, as long as
# the scan ran to its summary; 1 (error) or 64 (usage) would mean the unit's command is wrong.
case $status in
0 | 2 | 3 | 4 | 5) ;;
*) cat "$WORK/scan.err" >&2; die "the scan unit's command exited $status" ;;
esac
jq -e -s --argjson s "$status" 'last | .summary.exit_code == $s' "$WORK/scan.ndjson" >/dev/null ||
    die "the scan unit's command printed no NDJSON summary"
echo "ok: fixorigin-scan.service's ExecStart runs (exit $status, $(wc -l <"$WORK/scan.ndjson") NDJSON lines)"

# serve: the environment file as the unit's comment describes it, and the port the kernel picks
# (the unit's 8080 may be taken on a test machine).
cmd=$(exec_start fixorigin-serve.service | sed 's/--listen 127.0.0.1:8080/--listen 127.0.0.1:0/')
(
    FIXORIGIN_SERVE_TOKEN=$(printf '%048d' 7)
    SLACK_SIGNING_SECRET=unit-test-signing-secret
    FIXORIGIN_APPLY_USERS=U012ABCDEF
    export FIXORIGIN_SERVE_TOKEN SLACK_SIGNING_SECRET FIXORIGIN_APPLY_USERS
    exec sh -c "exec $cmd"
) >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
wait_serve "$SERVE_PID" "$WORK/serve.out" "$WORK/serve.err" "the serve unit's command"
url=$SERVE_URL
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || die "serve: /healthz not 200"
kill -TERM "$SERVE_PID"
status=0
wait "$SERVE_PID" || status=$?
SERVE_PID=
[ "$status" = 0 ] || die "serve exited $status on SIGTERM"
echo "ok: fixorigin-serve.service's ExecStart serves /healthz and stops on SIGTERM"
echo "systemd test ok"
