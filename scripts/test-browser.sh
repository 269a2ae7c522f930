#!/usr/bin/env bash
# Browser test of the dashboard: builds forecastd, starts it with the demo
# data, waits for the demo training job to succeed, then loads each page in
# headless Chromium and checks that it renders its charts (inline <svg>
# with plotted data paths), its headings, and no error text; the demo
# job's page (/ui/jobs/{id}) renders its progress, phases, summary and
# memguard report. It then sends the actuals of the forecast dates (two
# series tripled) and checks the accuracy page (/ui/accuracy). Screenshots go
# to $SHOTS (default bin/browser-shots) for a person to look at.
#
#   scripts/test-browser.sh            # needs /usr/bin/chromium (Debian: chromium)
#   JOB_TIMEOUT=900 scripts/test-browser.sh
#   URL=http://127.0.0.1:8080 scripts/test-browser.sh   # a server already running, with a finished job
set -euo pipefail
cd "$(dirname "$0")/.."

ADDR=${ADDR:-127.0.0.1:18098}
BASE=${URL:-"http://$ADDR"}
JOB_TIMEOUT=${JOB_TIMEOUT:-600}
SHOTS=${SHOTS:-bin/browser-shots}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "chromium not found at $CHROMIUM (Debian: apt-get install chromium)" >&2; exit 2; }

# $tmp, $pid and their cleanup on exit.
. scripts/lib.sh

mkdir -p "$SHOTS"
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$tmp")" "$@" 2>>"$tmp/chromium.log"
}

if [ -z "${URL:-}" ]; then
	go build -o bin/forecastd ./cmd/forecastd
	FORECASTD_DEMO=1 FORECASTD_ADMIN_ADDR= bin/forecastd serve -addr "$ADDR" -data-dir "$tmp/data" -monitor-interval 2s \
		>"$tmp/stdout" 2>"$tmp/server.log" &
	pid=$!

	echo "waiting for the server on $ADDR"
	for _ in $(seq 1 300); do
		curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { echo "server exited:" >&2; tail -20 "$tmp/server.log" >&2; exit 1; }
		sleep 0.2
	done

	echo "waiting up to ${JOB_TIMEOUT}s for the demo job"
	deadline=$((SECONDS + JOB_TIMEOUT))
	shot_running=
	while :; do
		state=$(curl -fsS "$BASE/v1/jobs" | python3 -c 'import json,sys; j=json.load(sys.stdin)["items"]; print(j[-1]["state"] + " " + str(round(100*j[-1]["progress"])) if j else "none 0")')
		case $state in
		succeeded*) echo "demo job succeeded"; break ;;
		failed* | cancelled*) echo "demo job ended: $state" >&2; tail -20 "$tmp/server.log" >&2; exit 1 ;;
		esac
		if [ $SECONDS -ge $deadline ]; then echo "demo job not done after ${JOB_TIMEOUT}s: $state%" >&2; exit 1; fi
		if [ -z "$shot_running" ] && [ "${state%% *}" = running ]; then
			# The job page while the job runs: progress, ETA, and the
			# meta refresh that reloads it.
			running=$(curl -fsS "$BASE/v1/jobs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][-1]["id"])')
			chrome --dump-dom "$BASE/ui/jobs/$running" >"$tmp/job-running.html"
			chrome --screenshot="$SHOTS/job-running.png" --window-size=1400,1400 "$BASE/ui/jobs/$running" >/dev/null
			for h in "state-running" "<h2>Progress</h2>" 'http-equiv="refresh"'; do
				grep -qF -- "$h" "$tmp/job-running.html" || { echo "FAIL job-running: no \"$h\"" >&2; exit 1; }
			done
			echo "ok   job-running -> $SHOTS/job-running.png"
			shot_running=1
		fi
		echo "  $state%"
		sleep 10
	done
	sleep 3 # a couple more memory samples after the job's end marker

	# The actuals of the forecast dates arrive: as forecast, and
	# three times over for the first two series, so the accuracy page has
	# scores, a coverage chart and drifting series to show.
	python3 - "$BASE" >"$tmp/actuals.csv" <<'PY'
import json, sys, urllib.parse as u, urllib.request as r
base = sys.argv[1]
series = json.load(r.urlopen(base + "/v1/series?limit=1000"))["items"]
print("date,store,sku,quantity")
for i, s in enumerate(series):
    f = json.load(r.urlopen(base + "/v1/forecasts/" + u.quote(s["store"], safe="") + "/" + u.quote(s["sku"], safe="")))
    for p in f["points"]:
        print("%s,%s,%s,%.3f" % (p["date"], s["store"], s["sku"], max(0.0, p["value"]) * (3 if i < 2 else 1)))
PY
	scored=$(curl -fsS -H 'Content-Type: text/csv' --data-binary @"$tmp/actuals.csv" "$BASE/v1/sales" | python3 -c 'import json,sys; a=json.load(sys.stdin)["accuracy"]; print(a["steps"], a["drifting"])')
	echo "actuals sent: steps scored and series drifting: $scored"
	accuracy_charts=1
fi

job=$(curl -fsS "$BASE/v1/jobs" | python3 -c 'import json,sys,urllib.parse as u; j=json.load(sys.stdin)["items"]; print(u.quote(j[-1]["id"],safe=""))')
first=$(curl -fsS "$BASE/v1/series?limit=1" | python3 -c 'import json,sys,urllib.parse as u; s=json.load(sys.stdin)["items"][0]; print(u.quote(s["store"],safe="")+"/"+u.quote(s["sku"],safe=""))')

fail=0
# check NAME PATH MIN_CHARTS HEADING...
check() {
	local name=$1 path=$2 charts=$3
	shift 3
	local dom="$tmp/$name.html"
	chrome --dump-dom "$BASE$path" >"$dom"
	chrome --screenshot="$SHOTS/$name.png" --window-size=1400,1800 "$BASE$path" >/dev/null
	local svgs plotted
	svgs=$(grep -o '<svg' "$dom" | wc -l || true) # grep finds none: exit 1 under pipefail
	# A data path drawn in one of the dashboard's series colours.
	plotted=$(grep -oE '<path d="M[-0-9.e]+,[-0-9.e]+L[^"]*" style="[^"]*(stroke|fill):#(0072B2|E69F00|D55E00|6E6E6E|CC79A7|009E73)' "$dom" | wc -l || true)
	local ok=1
	if [ "$svgs" -lt "$charts" ]; then echo "FAIL $name: $svgs charts, want $charts" >&2; ok=0; fi
	if [ "$charts" -gt 0 ] && [ "$plotted" -lt "$charts" ]; then echo "FAIL $name: $plotted plotted paths" >&2; ok=0; fi
	for h in "$@"; do
		grep -qF -- "$h" "$dom" || { echo "FAIL $name: no \"$h\"" >&2; ok=0; }
	done
	for bad in "Internal Server Error" "could not be rendered" "ZgotmplZ" "panic" "problem+json"; do
		if grep -qF -- "$bad" "$dom"; then echo "FAIL $name: page contains \"$bad\"" >&2; ok=0; fi
	done
	if [ $ok = 1 ]; then echo "ok   $name ($svgs charts, $plotted data paths) -> $SHOTS/$name.png"; else fail=1; fi
}

check overview /ui 3 "<h1>Overview</h1>" "Memory" "Retained bytes per job" "Jobs" "Leak reports" "Quarantined models" "succeeded" "/ui/jobs/$job"
check job "/ui/jobs/$job" 0 "<h1>Job <code>" "succeeded" "<h2>Progress</h2>" "<h2>Phases</h2>" "<h2>Summary</h2>" "<th class=\"num\">Fallback</th>" "<h2>Warnings</h2>" "memguard verdict" "/v1/memguard/reports/" "<h2>Parameters</h2>"
check series-list /ui/series 0 "<h1>Series</h1>" "Last date" "/ui/series/$first"
check series "/ui/series/$first" 3 "Forecast" "Kept models" "Leaderboard" "80% interval" "95% interval" "kept" \
	"<h2>Why this forecast</h2>" "<h3>Covariate contributions</h3>" "<h3>Seasonal profile</h3>" "<h2>What if</h2>" 'name="move_cov"'
# The scenario view (issue 19): the first planned promotion of the horizon
# (the first step promo contributes to) moved three days later, as the
# page's form submits it.
move=$(curl -fsS "$BASE/v1/forecasts/$first/explain" | python3 -c '
import json, sys, urllib.parse as u
st = json.load(sys.stdin)["steps"]
on = [i for i, s in enumerate(st) if s["contributions"].get("promo", 0) > 0 and i + 3 < len(st)]
if on:
    print(u.urlencode({"scenario": 1, "move_cov": "promo", "move_from": st[on[0]]["date"], "move_to": st[on[0] + 3]["date"]}))
')
if [ -z "$move" ]; then echo "FAIL series-scenario: no planned promotion to move in $first's explanation" >&2; fail=1; else
	check series-scenario "/ui/series/$first?$move" 4 "<h2>What if</h2>" "baseline is the forecast under the plan as stored now" "<th class=\"num\">Change</th>"
	if grep -qF "Scenario refused" "$tmp/series-scenario.html"; then echo "FAIL series-scenario: refused" >&2; fail=1; fi
fi
check accuracy /ui/accuracy "${accuracy_charts:-0}" "<h1>Accuracy</h1>" "Coverage by horizon step" "Drifting series" "Worst series" "By store" "drifting"
check series-missing /ui/series/NO-SUCH-STORE/NO-SUCH-SKU 0 "Not Found" "There is no series NO-SUCH-STORE/NO-SUCH-SKU"

if [ $fail = 0 ]; then echo "browser test passed"; else echo "browser test FAILED" >&2; fi
exit $fail
