#!/bin/sh
# The demonstration `make demo` runs: start the bundled testbed origins, probe
# every one of them the way Fastly would, and print one line per origin:
# case -> class / Fastly error -> evidence. Then a stand-in Fastly service whose
# backends are some of those origins: fixorigin plans the fixes, applies them
# (each step with the diff it saw), and a second run finds nothing to do. Last, a
# fleet of stand-in services: a chat bot's calls to `fixorigin serve`, and
# `fixorigin scan` as a scheduler runs it, planning and applying the safe fixes.
# Everything stays on loopback.
#
# Usage: scripts/demo.sh BUILD_DIR [SAMPLES_DIR]
# With SAMPLES_DIR, the reports of this run are also written there (the samples
# in examples/reports/ come from it). DEMO_DIFF_KEYS=sorted (or name-last) makes
# the stand-in write Fastly's diff in that layout (default name-first, as
# recorded): the fixes do not depend on it.
# Each step is a function that main() calls.
set -eu

BUILD=${1:-build}
BIN="$BUILD/bin"
WORK=""
TESTBED_PID=""
MOCK_PID=""
FLEET_PID=""
SERVE_PID=""
SAMPLES=${2:-}
DEMO_SERVICE=SVC0DEMO
DEMO_TOKEN=demo-token-not-secret
DEMO_DIFF_KEYS=${DEMO_DIFF_KEYS:-name-first}

# wait_started, wait_serve and start_testbed, shared with the deploy tests; die is the demo's.
# shellcheck source=scripts/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"

die() {
    echo "demo: $*" >&2
    exit 1
}

cleanup() {
    for pid in $SERVE_PID $FLEET_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$MOCK_PID" ]; then
        kill "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
    fi
    if [ -n "$TESTBED_PID" ]; then
        kill "$TESTBED_PID" 2>/dev/null || true
        wait "$TESTBED_PID" 2>/dev/null || true
    fi
    [ -n "$WORK" ] && rm -rf "$WORK"
}

# Starts testbed-origins in a fresh directory; sets TESTBED and MANIFEST.
start_origins() {
    WORK=$(mktemp -d /tmp/fixorigin-demo.XXXXXX)
    TESTBED="$WORK/testbed"
    start_testbed "$WORK"
    echo "== testbed: $(jq '.cases | length' "$MANIFEST") cases on loopback, PKI in $TESTBED"
}

# Probes every case with its backend settings; writes $WORK/probe.ndjson.
probe_all() {
    echo "== fixorigin probe --targets (one line per origin, probed concurrently)"
    started=$(date +%s%N)
    status=0
    "$BIN/fixorigin" probe --targets "$(jq -r .targets_file "$MANIFEST")" \
        --hosts "$(jq -r .hosts_file "$MANIFEST")" \
        --trust-bundle "$(jq -r .trust_bundle "$MANIFEST")" >"$WORK/probe.ndjson" || status=$?
    [ "$status" -le 2 ] || die "fixorigin probe failed (exit $status)"
    PROBE_MS=$((($(date +%s%N) - started) / 1000000))
}

# One line per case: case, class / Fastly error, evidence; and whether the
# class is the one the testbed built the origin for.
print_table() {
    jq -r -s --slurpfile manifest "$MANIFEST" '
      def evidence:
        .evidence as $e
        | [ (if $e.verify_code != null and $e.verify_code != 0
             then "verify \($e.verify_code) (\($e.verify_error))" else empty end),
            (if ($e.chain | length) > 0 then "chain \($e.chain | length)" else empty end),
            (if $e.protocol then $e.protocol else empty end),
            (if $e.sni_sent then "SNI \($e.sni_sent)" else "no SNI" end),
            (if $e.alert then "alert \($e.alert.code) \($e.alert.name)" else empty end),
            (if $e.late_answer_ms then "answered after \($e.late_answer_ms | floor) ms"
             else empty end),
            (if $e.needs_sni == true then "needs SNI" else empty end),
            (if $e.plain_http == true then "speaks plain HTTP" else empty end),
            (if $e.rc4_only == true then "picks RC4" else empty end),
            (if ($e.per_address | length) > 1
             then "addresses \([$e.per_address[] | "\(.address) \(.class // "not tried")"] | join(", "))"
             else empty end),
            (if (.also | length) > 0 then "also \(.also | join(","))" else empty end),
            (if (.warnings | length) > 0 then "\(.warnings | length) warning(s)" else empty end)
          ] | join("; ");
      (map({key: (.line | tostring), value: .}) | from_entries) as $by_line
      | $manifest[0].cases[]
      | . as $case
      | $by_line[($case.targets_line | tostring)] as $r
      | if $r == null then "MISSING\t\($case.case)\t-\tno answer"
        else
          (if $r.class == $case.expected_class or ($case.robustness and $r.ok == false)
           then "ok" else "WRONG" end) as $verdict
          | "\($verdict)\t\($case.case)\t\($r.class)\t\($r.fastly_error // "-")\t\($r | evidence)"
        end' "$WORK/probe.ndjson" >"$WORK/table.tsv"
    # Columns as wide as their widest cell; "!!" marks a class other than expected.
    awk -F '\t' '
        { for (i = 2; i <= 4; i++) if (length($i) > w[i]) w[i] = length($i); row[NR] = $0 }
        END {
            fmt = "%-3s%-" w[2] + 2 "s%-" w[3] + 2 "s%-" w[4] + 2 "s%s\n"
            printf fmt, "", "origin (case)", "class", "Fastly error", "evidence"
            for (n = 1; n <= NR; n++) {
                split(row[n], f, "\t")
                printf fmt, (f[1] == "ok" ? "" : "!!"), f[2], f[3], f[4], f[5]
            }
        }' "$WORK/table.tsv"
    total=$(wc -l <"$WORK/table.tsv")
    right=$(grep -c '^ok' "$WORK/table.tsv" || true)
    echo "== $right of $total origins named as the testbed built them, in $PROBE_MS ms"
    [ "$right" -eq "$total" ]
}

# Starts fastly-mock with one service whose version 1 points its backends at
# testbed origins that fail in ways fixorigin fixes, and one it cannot. One of them
# is declared in the service's custom VCL, not as an API backend: fixorigin finds it
# there, plans a VCL edit and writes it.
start_stand_in() {
    jq --arg svc "$DEMO_SERVICE" '
      ["hostname_mismatch", "unable_to_verify_first_certificate",
       "handshake_failure_tls13_only", "certificate_expired"] as $wanted
      | (.cases[] | select(.case == "sni_required_fail")) as $vcl
      | {customer_id: "CUST0DEMO",
         services: [{id: $svc, name: "demo shop", comment: "", type: "vcl",
           versions: [{number: 1, active: true, locked: true,
             comment: "as the customer left it",
             domains: [{name: "www.origin.test", comment: ""}],
             backends: [.cases[] | select(.case as $c | $wanted | index($c))
               | {name: .case, address: .host, port: .port, use_ssl: true,
                  ssl_check_cert: true} + .settings],
             vcls: [{name: "main", main: true, content: (
               "# The shop'"'"'s own VCL: an origin declared here, not as an API backend\n"
               + "backend sni_origin_in_vcl {\n"
               + "    .host = \"\($vcl.host)\";\n"
               + "    .port = \"\($vcl.port)\";\n"
               + "    .ssl = true;\n"
               + "    .ssl_cert_hostname = \"www.origin.test\";\n"
               + "}\n\nsub vcl_recv {\n#FASTLY recv\n  return(lookup);\n}\n")}]}]}]}' \
        "$MANIFEST" >"$WORK/state.json"
    "$BIN/fastly-mock" --listen 127.0.0.1:0 --state "$WORK/state.json" \
        --port-file "$WORK/mock.port" --token "$DEMO_TOKEN" --log "$WORK/requests.jsonl" \
        --write-state "$WORK/state-out.json" --diff-keys "$DEMO_DIFF_KEYS" \
        >"$WORK/mock.out" 2>&1 &
    MOCK_PID=$!
    wait_started "$MOCK_PID" fastly-mock "$WORK/mock.out" test -s "$WORK/mock.port"
    FASTLY_API_TOKEN=$DEMO_TOKEN
    FASTLY_API_ENDPOINT="http://127.0.0.1:$(cat "$WORK/mock.port")"
    export FASTLY_API_TOKEN FASTLY_API_ENDPOINT
    echo
    echo "== a stand-in Fastly service $DEMO_SERVICE on $FASTLY_API_ENDPOINT:" \
        "4 API backends and 1 declared in its custom VCL, on testbed origins" \
        "(diff layout: $DEMO_DIFF_KEYS)"
}

# Runs fixorigin on the demo service; expects one of the exit codes given.
fixorigin_demo() {
    expected=$1
    shift
    status=0
    "$BIN/fixorigin" --service "$DEMO_SERVICE" \
        --trust-bundle "$(jq -r .trust_bundle "$MANIFEST")" "$@" || status=$?
    echo "(exit $status)"
    case " $expected " in
    *" $status "*) ;;
    *) die "fixorigin $* exited $status, not $expected" ;;
    esac
}

requests_since() {
    tail -n +"$(($1 + 1))" "$WORK/requests.jsonl" |
        jq -s -r '"\(length) API requests, \(map(select(.method != "GET")) | length) writes"'
}

# Plan (nothing written), apply with each step's diff, then a run that finds
# nothing left to fix (one origin's expired certificate needs a person: exit 5).
plan_and_apply() {
    echo
    echo "== fixorigin --service $DEMO_SERVICE   (plan: probe, prove, write nothing)"
    fixorigin_demo 5
    if [ -n "$SAMPLES" ]; then
        NO_COLOR=1 fixorigin_demo 5 >"$SAMPLES/report.txt"
        fixorigin_demo 5 --json >"$SAMPLES/report.json.tmp"
        sed '$d' "$SAMPLES/report.json.tmp" >"$SAMPLES/report.json" # drop "(exit 5)"
        rm -f "$SAMPLES/report.json.tmp"
    fi
    echo
    echo "== fixorigin --service $DEMO_SERVICE --apply --yes"
    before=$(wc -l <"$WORK/requests.jsonl")
    fixorigin_demo 5 --apply --yes >"$WORK/apply.txt"
    echo "(the plan as above, then)"
    sed -n '/^plan /,$p' "$WORK/apply.txt"
    echo "   stand-in's log: $(requests_since "$before")"
    echo
    echo "== again: the fixes hold, nothing is written"
    before=$(wc -l <"$WORK/requests.jsonl")
    fixorigin_demo 5 --apply --yes >"$WORK/again.txt"
    grep -E '^(service|plan|result)' "$WORK/again.txt"
    echo "   stand-in's log: $(requests_since "$before")"
}

# A second stand-in holding a small fleet: services whose backends fail in ways
# fixorigin fixes safely, one that needs consent and one that needs a person.
start_fleet() {
    jq '
      def svc($id; $name; $cases):
        . as $m
        | {id: $id, name: $name, comment: "", type: "vcl",
           versions: [{number: 1, active: true, locked: true, comment: "",
             domains: [{name: "www.origin.test", comment: ""}],
             backends: [$cases | to_entries[] | .key as $i | .value as $c
               | $m.cases[] | select(.case == $c)
               | {name: "origin\($i)", address: .host, port: .port, use_ssl: true,
                  ssl_check_cert: true} + .settings]}]};
      {customer_id: "CUST0FLEET",
       services: [
         svc("SVC0SHOP"; "shop"; ["healthy", "hostname_mismatch", "sni_required_fail"]),
         svc("SVC0API"; "api"; ["unable_to_verify_first_certificate"]),
         svc("SVC0BLOG"; "blog"; ["healthy", "healthy_all_versions"]),
         svc("SVC0MEDIA"; "media"; ["handshake_failure_tls13_only"]),
         svc("SVC0STATUS"; "status page"; ["slow_handshake"]),
         svc("SVC0LEGACY"; "legacy"; ["self_signed_certificate"]),
         svc("SVC0BILLING"; "billing"; ["healthy", "certificate_expired"])]}' \
        "$MANIFEST" >"$WORK/fleet.json"
    "$BIN/fastly-mock" --listen 127.0.0.1:0 --state "$WORK/fleet.json" \
        --port-file "$WORK/fleet.port" --token "$DEMO_TOKEN" --log "$WORK/fleet.jsonl" \
        --diff-keys "$DEMO_DIFF_KEYS" >"$WORK/fleet.out" 2>&1 &
    FLEET_PID=$!
    wait_started "$FLEET_PID" "fastly-mock (fleet)" "$WORK/fleet.out" test -s "$WORK/fleet.port"
    FASTLY_API_ENDPOINT="http://127.0.0.1:$(cat "$WORK/fleet.port")"
    FIXORIGIN_TRUST_BUNDLE=$(jq -r .trust_bundle "$MANIFEST")
    export FASTLY_API_ENDPOINT FIXORIGIN_TRUST_BUNDLE
    echo
    echo "== a fleet of $(jq '.services | length' "$WORK/fleet.json") stand-in services on" \
        "$FASTLY_API_ENDPOINT"
}

# Runs fixorigin scan with the arguments given; expects exit $1.
scan_demo() {
    expected=$1
    shift
    status=0
    "$BIN/fixorigin" scan --state-dir "$WORK/state" "$@" || status=$?
    [ "$status" -eq "$expected" ] || die "fixorigin scan $* exited $status, not $expected"
}

# The chat bot's way: fixorigin serve's JSON API, called by examples/bot.sh.
serve_demo() {
    serve_token=demo-serve-token-0123456789
    FIXORIGIN_SERVE_TOKEN=$serve_token "$BIN/fixorigin" serve \
        --listen 127.0.0.1:0 --state-dir "$WORK/state" >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVE_PID=$!
    wait_serve "$SERVE_PID" "$WORK/serve.out" "$WORK/serve.err" "fixorigin serve"
    url=$SERVE_URL
    echo
    echo "== fixorigin serve on $url; a bot (examples/bot.sh) plans SVC0API, a person says y"
    curl -sS --noproxy '*' -H "Authorization: Bearer $serve_token" \
        -d '{"service_id":"SVC0API"}' "$url/v1/plan" >"$WORK/plan.json"
    [ -z "$SAMPLES" ] || jq . "$WORK/plan.json" >"$SAMPLES/serve-plan.json"
    echo y | FIXORIGIN_URL=$url FIXORIGIN_SERVE_TOKEN=$serve_token \
        "$(dirname "$0")/../examples/bot.sh" SVC0API || die "examples/bot.sh failed"
    echo
    echo "== the plan id shown before the apply, sent again: refused, with the new plan"
    http=$(curl -sS --noproxy '*' -H "Authorization: Bearer $serve_token" \
        -d "{\"service_id\":\"SVC0API\",\"plan_id\":\"$(jq -r .plan_id "$WORK/plan.json")\"}" \
        -w '%{http_code}' -o "$WORK/again.json" "$url/v1/apply")
    jq -r --arg http "$http" '"HTTP \($http) \(.error): \(.message)"' "$WORK/again.json"
    kill "$SERVE_PID"
    wait "$SERVE_PID" || die "fixorigin serve did not stop cleanly"
    SERVE_PID=""
}

# The scheduler's way: every service, several at once; then the safe fixes.
scan_fleet() {
    echo
    echo "== fixorigin scan --all   (plan every service, 4 at a time; exit = the worst)"
    scan_demo 5 --all
    [ -n "$SAMPLES" ] && NO_COLOR=1 scan_demo 5 --all >"$SAMPLES/scan.txt"
    echo
    echo "== fixorigin scan --all --apply --only-safe --yes --format ndjson   (what cron runs)"
    before=$(wc -l <"$WORK/fleet.jsonl")
    scan_demo 5 --all --apply --only-safe --yes --format ndjson >"$WORK/scan.ndjson"
    [ -n "$SAMPLES" ] && cp "$WORK/scan.ndjson" "$SAMPLES/scan.ndjson"
    jq -r 'select(.service) | [.service.id, .result,
             (.apply.outcome // "-"),
             (.apply.outcome as $done
              | .backends | map(select(.status != "ok")
                | "\(.name): \(.class) \(if .status == "fix" and $done == "verified"
                                          then "fixed" else .status end)")
              | join(", "))] | @tsv' "$WORK/scan.ndjson" |
        awk -F '\t' '{ printf "  %-12s %-13s apply %-9s %s\n", $1, $2, $3, $4 }'
    jq -r 'select(.summary) | .summary | "  \(.services) services: \(.results | to_entries
             | map(select(.value > 0) | "\(.value) \(.key)") | join(", ")); \(.applied)" +
           " changed; \(.api.requests) API requests, \(.api.writes) writes; exit \(.exit_code)"' \
        "$WORK/scan.ndjson"
    echo "   stand-in's log: $(tail -n +"$((before + 1))" "$WORK/fleet.jsonl" |
        jq -s -r '"\(length) API requests, \(map(select(.method != "GET")) | length) writes"')"
    echo
    echo "== again: what is left needs consent or a person; nothing is written"
    before=$(wc -l <"$WORK/fleet.jsonl")
    scan_demo 5 --all --apply --only-safe --yes | tail -1
    writes=$(tail -n +"$((before + 1))" "$WORK/fleet.jsonl" | jq -s 'map(select(.method != "GET")) | length')
    [ "$writes" -eq 0 ] || die "the second scan wrote $writes times"
}

main() {
    [ -x "$BIN/fixorigin" ] && [ -x "$BIN/testbed-origins" ] || die "build first: make"
    command -v jq >/dev/null 2>&1 || die "jq missing: run scripts/install-deps.sh"
    trap cleanup EXIT
    trap 'exit 130' INT TERM HUP
    trap 'exit 141' PIPE # the reader went away (make demo | head): stop and clean up
    start_origins
    probe_all
    print_table
    [ -z "$SAMPLES" ] || mkdir -p "$SAMPLES"
    start_stand_in
    plan_and_apply
    start_fleet
    serve_demo
    scan_fleet
}

main
