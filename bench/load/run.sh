#!/usr/bin/env bash
# Read load on forecastd while a training job runs, beside a trivial gin
# handler on the same machine for context.
#   bash bench/load/run.sh                  # 20000 requests at concurrency 8
#   N=50000 C=16 bash bench/load/run.sh
# Builds forecastd and the generator, starts `forecastd serve -demo` on a
# temporary data dir and an ephemeral loopback port, waits for the demo
# job's forecasts (72 series, default tournament: a few minutes on 2
# cores), then runs the generator four times:
#   1. forecastd, no job running
#   2. forecastd, while a second default-tournament job runs
#   3. the trivial handler, while that job still runs (same CPU contention)
#   4. the trivial handler, forecastd stopped
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
N=${N:-20000}
C=${C:-8}
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/forecastd" ./cmd/forecastd
go build -o "$tmp/load" ./bench/load
echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3) $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# -admin-addr '': the admin listener's default port would collide with any
# other forecastd on the machine.
"$tmp/forecastd" serve -addr 127.0.0.1:0 -admin-addr '' -data-dir "$tmp/data" -demo -log-format text >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
base=""
for _ in $(seq 1 300); do
	base=$(sed -n 's/^forecastd serving on \(http:[^ ]*\) .*/\1/p' "$tmp/stdout" 2>/dev/null || true)
	[ -n "$base" ] && break
	sleep 0.1
done
if [ -z "$base" ]; then
	echo "forecastd did not start:" >&2
	cat "$tmp/stderr" >&2
	exit 1
fi
echo "# forecastd at $base (pid $pid); waiting for the demo forecasts"
# Results are published in one transaction, so one series' forecast
# means every series has one.
start=$(date +%s)
until curl -sf "$base/v1/forecasts/S01/SKU001" >/dev/null; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "forecastd exited:" >&2
		tail -20 "$tmp/stderr" >&2
		exit 1
	fi
	sleep 2
done
echo "# demo forecasts after $(($(date +%s) - start)) s"

job_state() {
	curl -sf "$base/v1/jobs/$1" | sed -n 's/.*"state":"\([a-z]*\)".*"series_total":\([0-9]*\),"series_done":\([0-9]*\).*/\1 (\3\/\2 series)/p'
}

echo
echo "## 1. forecastd, idle"
"$tmp/load" -url "$base" -n "$N" -c "$C"

job=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"horizon": 28}' "$base/v1/jobs" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
for _ in $(seq 1 100); do
	case "$(job_state "$job")" in running*) break ;; esac
	sleep 0.1
done
echo
echo "## 2. forecastd, during training job $job (default tournament, 72 series)"
"$tmp/load" -url "$base" -n "$N" -c "$C" -job "$job"

echo
echo "## 3. trivial gin handler, during the same job"
echo "job       $job $(job_state "$job") before the run"
"$tmp/load" -trivial -n "$N" -c "$C"
echo "job       $job $(job_state "$job") after the run"

kill "$pid"
wait "$pid" || true
pid=""
echo
echo "## 4. trivial gin handler, forecastd stopped"
"$tmp/load" -trivial -n "$N" -c "$C"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
