#!/bin/sh
# A chat bot's side of fixorigin serve's JSON API, in shell: plan a service, show the plan,
# ask a person, apply it with the plan id, and cope with a plan that went stale meanwhile.
#
#   FIXORIGIN_URL=http://127.0.0.1:8080 FIXORIGIN_SERVE_TOKEN=... examples/bot.sh SVC0EXAMPLE
#
# Needs curl and jq. Exit: 0 applied (or nothing to do), 1 error, 2 not approved.
set -eu

SERVICE=${1:?usage: bot.sh SERVICE_ID}
URL=${FIXORIGIN_URL:-http://127.0.0.1:8080}
: "${FIXORIGIN_SERVE_TOKEN:?set FIXORIGIN_SERVE_TOKEN}"
BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# POST path json: the answer goes to $BODY, the HTTP status to stdout. The token travels in
# a header read from stdin, so it never shows in `ps`.
call() {
    printf 'Authorization: Bearer %s\n' "$FIXORIGIN_SERVE_TOKEN" |
        curl -sS --max-time 300 -o "$BODY" -w '%{http_code}' -H @- \
            -H 'Content-Type: application/json' -d "$2" "$URL$1"
}

show_plan() {
    jq -r 'def value: if type == "array" then map(.subject) | join(", ")
                     elif . == null then "(unset)" else tostring end;
           "\(.service_id): \(.result) (plan \(.plan_id[:12]))",
           (.report.backends[] | "  \(.name): \(.class)" +
             (if .status == "fix" then "\n    fix: \(.summary)" +
                (.changes | map("\n      \(.field): \(.from | value) -> \(.to | value)")
                 | join(""))
              elif .status == "ok" then ""
              else "\n    \(.status): \(.advice // .summary // "")" end))' "$BODY"
}

status=$(call /v1/plan "{\"service_id\":\"$SERVICE\"}")
[ "$status" = 200 ] || { jq -r '"error: \(.message)"' "$BODY" >&2; exit 1; }
while :; do
    show_plan
    if [ "$(jq '[.report.backends[] | select(.status == "fix")] | length' "$BODY")" = 0 ]; then
        echo "nothing fixorigin may apply."
        exit 0
    fi
    printf 'apply? [y/N] '
    read -r answer || answer=n
    [ -t 0 ] || echo "$answer"
    [ "$answer" = y ] || exit 2
    plan_id=$(jq -r .plan_id "$BODY")
    status=$(call /v1/apply "{\"service_id\":\"$SERVICE\",\"plan_id\":\"$plan_id\"}")
    case $status in
    200)
        jq -r '"applied: \(.report.apply.outcome), active version " +
               "\(.report.versions.active_after) (result \(.result))"' "$BODY"
        exit 0
        ;;
    409)
        # The service, its origins or what can be fixed changed since the plan was shown:
        # nothing was written. The answer holds the new plan: show it and ask again.
        jq -r '"the plan changed: \(.message)"' "$BODY"
        [ "$(jq -r .error "$BODY")" = stale_plan ] || exit 1 # "locked": another run is at it
        ;;
    *)
        jq -r '"error \(.error // ""): \(.message // "")"' "$BODY" >&2
        exit 1
        ;;
    esac
done
