#!/bin/sh
# The examples that are neither units nor manifests (ctest deploy_examples), and the rule that
# every file in examples/ is checked by some test:
#   - bot.sh and the cron line's command pass shellcheck;
#   - the cron line runs as written (paths mapped to a temporary directory) against the
#     stand-in Fastly API and appends its NDJSON summary to the log, which logrotate.conf
#     then rotates;
#   - the Slack manifest's URL path is serve's route (a running serve answers it 401 without
#     a signature, not 404), SETUP.md's proxy routes that path, and SETUP.md puts the secrets
#     in place before it starts serve, in the file and with the names serve reads;
#   - the sample reports are the JSON and NDJSON they say; examples/README.md names every file.
#
#   tests/deploy/examples-test.sh [BUILD]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. scripts/deploy-lib.sh
need shellcheck jq curl logrotate python3
BUILD=$(cd "$BUILD" && pwd)
WORK=$(mktemp -d /tmp/fixorigin-examples-test.XXXXXX)
MOCK_PID="" SERVE_PID=""
cleanup() {
    for pid in $MOCK_PID $SERVE_PID; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Which test checks each file of examples/; a new file fails here until a test checks it.
covered="README.md:examples-test bot.sh:examples-test cron/fixorigin:examples-test
cron/logrotate.conf:examples-test slack/manifest.yaml:examples-test slack/SETUP.md:examples-test
reports/README.md:examples-test reports/report.json:examples-test
reports/report.txt:examples-test reports/scan.ndjson:examples-test reports/scan.txt:examples-test
reports/serve-plan.json:examples-test systemd/fixorigin-scan.service:systemd-test
systemd/fixorigin-scan.timer:systemd-test systemd/fixorigin-serve.service:systemd-test
kubernetes/fixorigin-scan-cronjob.yaml:kubernetes-test kubernetes/fixorigin-serve.yaml:kubernetes-test
kubernetes/fixorigin-secret.yaml:kubernetes-test"
for f in $(cd examples && find . -type f | sed 's#^\./##' | sort); do
    echo "$covered" | tr ' ' '\n' | grep -q "^$f:" || die "examples/$f is checked by no test"
    case $f in
    reports/README.md) index=examples/README.md ;;
    reports/*) index=examples/reports/README.md ;;
    *) index=examples/README.md ;;
    esac
    grep -q "$(basename "$f")" "$index" || die "$index does not name $f"
done
echo "ok: every file in examples/ is checked and named in examples/README.md"

shellcheck -s sh examples/bot.sh
# And the scripts that build and test the package and the image.
shellcheck -x scripts/deploy-lib.sh scripts/image.sh cmake/debian/postinst tests/deploy/*.sh
echo "ok: shellcheck bot.sh, scripts/image.sh, the package's postinst, tests/deploy/"

# The cron lines: five time fields, a user, a command; the command passes shellcheck and runs.
grep -v -e '^#' -e '^$' examples/cron/fixorigin >"$WORK/cron.lines"
[ -s "$WORK/cron.lines" ] || die "no line in the cron file"
while read -r m h dom mon dow user cmd; do
    for field in "$m" "$h" "$dom" "$mon" "$dow"; do
        echo "$field" | grep -E -q '^[0-9*/,-]+$' || die "cron: bad time field '$field'"
    done
    [ "$user" = fixorigin ] || die "cron: runs as '$user'"
    printf '#!/bin/sh\n%s\n' "$cmd" >"$WORK/cron.sh"
    shellcheck "$WORK/cron.sh"
    echo "ok: shellcheck the cron command"
done <"$WORK/cron.lines"

start_mock "$WORK"
export FASTLY_API_ENDPOINT
unset FASTLY_API_TOKEN
mkdir -p "$WORK/var/lib/fixorigin" "$WORK/var/log/fixorigin" "$WORK/etc/fixorigin"
echo example-test-token >"$WORK/etc/fixorigin/fastly-token"
map() {
    sed "s#/usr/bin/fixorigin#$BUILD/bin/fixorigin#g; s#/var/lib/fixorigin#$WORK/var/lib/fixorigin#g;
         s#/var/log/fixorigin#$WORK/var/log/fixorigin#g; s#/etc/fixorigin#$WORK/etc/fixorigin#g"
}
# Twice, as two hours would: the log is appended to.
sh -c "$(map <"$WORK/cron.sh" | sed 1d)" || true # the exit code goes to cron's mail
sh -c "$(map <"$WORK/cron.sh" | sed 1d)" || true
log="$WORK/var/log/fixorigin/scan.ndjson"
[ "$(jq -s '[.[] | select(.summary)] | length' "$log")" = 2 ] ||
    { cat "$WORK/var/log/fixorigin/scan.err"; die "two cron runs did not append two summaries"; }
echo "ok: the cron command runs and appends to $(basename "$log")"

# logrotate, as root here: the file's user is root instead of fixorigin.
map <examples/cron/logrotate.conf | sed 's/fixorigin fixorigin/root root/' >"$WORK/logrotate.conf"
logrotate -f -s "$WORK/logrotate.state" "$WORK/logrotate.conf" ||
    die "logrotate failed on logrotate.conf"
if [ ! -s "$log.1" ] || [ ! -e "$log" ] || [ -s "$log" ]; then
    die "logrotate did not rotate scan.ndjson"
fi
echo "ok: logrotate.conf rotates the scan's log"

# Slack: the manifest's URL path is serve's route.
# Debian's python3, where python3-yaml is (install-deps.sh), before any other on the PATH.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
paths=$("$python" -c 'import sys, yaml, urllib.parse
m = yaml.safe_load(open(sys.argv[1]))
print(urllib.parse.urlparse(m["features"]["slash_commands"][0]["url"]).path)
print(urllib.parse.urlparse(m["settings"]["interactivity"]["request_url"]).path)' \
    examples/slack/manifest.yaml)
SLACK_SIGNING_SECRET=example-test-signing-secret FASTLY_API_TOKEN=example-test-token \
    "$BUILD/bin/fixorigin" serve --listen 127.0.0.1:0 --state-dir "$WORK/var/lib/fixorigin" \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
wait_serve "$SERVE_PID" "$WORK/serve.out" "$WORK/serve.err" serve
url=$SERVE_URL
for path in $paths; do
    code=$(curl -s -o "$WORK/slack.json" -w '%{http_code}' -X POST "$url$path")
    if [ "$code" != 401 ] || [ "$(jq -r .error "$WORK/slack.json")" != unauthorized ]; then
        die "POST $path (the manifest's) answered $code $(cat "$WORK/slack.json"), not 401 unauthorized"
    fi
    grep -q "location = $path " examples/slack/SETUP.md || die "SETUP.md's proxy does not route $path"
    echo "ok: the Slack manifest's path $path is serve's route, and SETUP.md routes it"
done
kill "$SERVE_PID"
wait "$SERVE_PID" || true
SERVE_PID=""

# SETUP.md: the secrets (the token, serve.env) before serve starts; the file the unit reads.
setup=examples/slack/SETUP.md
line_of() { grep -n -F -- "$1" "$setup" | head -1 | cut -d: -f1; }
start=$(line_of 'systemctl enable --now fixorigin-serve')
[ -n "$start" ] || die "SETUP.md never starts fixorigin-serve"
envfile=$(sed -n 's/^EnvironmentFile=//p' examples/systemd/fixorigin-serve.service)
credential=$(sed -n 's/^LoadCredential=[^:]*://p' examples/systemd/fixorigin-serve.service)
for secret in "$credential" "$envfile" SLACK_SIGNING_SECRET= FIXORIGIN_APPLY_USERS=; do
    at=$(line_of "$secret")
    if [ -z "$at" ] || [ "$at" -ge "$start" ]; then
        die "SETUP.md: $secret not in place before serve starts"
    fi
done
sed -n '/^cat >.*serve.env/,/^END/s/^\([A-Z_]*\)=.*/\1/p' "$setup" >"$WORK/setup.names"
[ -s "$WORK/setup.names" ] || die "SETUP.md writes no serve.env"
while read -r name; do
    "$BUILD/bin/fixorigin" serve --help | grep -q "$name" || die "SETUP.md sets $name, serve reads no such"
done <"$WORK/setup.names"
echo "ok: SETUP.md puts $credential and $envfile in place before starting serve"

# The sample reports.
for f in examples/reports/*.json; do
    jq -e 'type == "object"' "$f" >/dev/null || die "$f is not a JSON object"
done
jq -e -s 'length > 1 and (last | .summary) and (.[:-1] | all(.schema == "fixorigin.report/v1"))' \
    examples/reports/scan.ndjson >/dev/null || die "scan.ndjson is not reports then a summary"
for f in examples/reports/*.txt; do
    [ -s "$f" ] || die "$f is empty"
    grep -q "$(basename "$f")" examples/reports/README.md || die "reports/README.md omits $f"
done
echo "examples test ok"
