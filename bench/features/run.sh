#!/usr/bin/env bash
# Benchmark `forecastd features -describe` against pandas on the 913,000-row
# Kaggle store/item demand data: the same 20 features (lags 1,7,14,28;
# rolling min/max/mean/std/sum over 7/14/28 days; same day last year), each
# whole process under /usr/bin/time -v, best of $RUNS runs (default 3).
#
#   bench/features/run.sh          # from the repository root
#
# Prints wall time, CPU time (user+sys), rows/s and peak RSS side by side,
# and checks that the two describe tables agree.
set -euo pipefail
cd "$(dirname "$0")/../.."
ZIP=${ZIP:-../shared/data/store_item_demand/demand-forecasting-kernels-only.zip}
PY=${PY:-/usr/bin/python3}
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

unzip -q -o "$ZIP" train.csv -d "$TMP"
# forecastd's upload header is date,store,sku,quantity; pandas maps the
# Kaggle names itself.
{ echo date,store,sku,quantity; tail -n +2 "$TMP/train.csv"; } > "$TMP/sales.csv"
ROWS=$(($(wc -l < "$TMP/train.csv") - 1))
# BIN=path runs an already built binary instead of building bin/forecastd.
if [ -z "${BIN:-}" ]; then
	go build -o bin/forecastd ./cmd/forecastd
	BIN=bin/forecastd
fi

FLAGS=(-lags 1,7,14,28 -windows 7,14,28 -stats min,max,mean,std,sum -year-ago -calendar=false -freq daily -quiet)

# measure NAME CMD...: runs CMD $RUNS times, keeps the fastest run's
# /usr/bin/time report in $TMP/NAME.time and its stdout in $TMP/NAME.txt.
measure() {
	local name=$1 best=
	shift
	for i in $(seq "$RUNS"); do
		/usr/bin/time -v -o "$TMP/$name.$i.time" "$@" > "$TMP/$name.$i.txt"
		local w
		w=$(wall "$TMP/$name.$i.time")
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then
			best=$w
			cp "$TMP/$name.$i.time" "$TMP/$name.time"
			cp "$TMP/$name.$i.txt" "$TMP/$name.txt"
		fi
	done
}
# wall FILE: the elapsed time of a /usr/bin/time -v report, in seconds.
wall() {
	awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$1"
}
cpu() {
	awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$1"
}
rss() {
	awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"
}

measure forecastd "$BIN" features -data "$TMP/sales.csv" -describe "${FLAGS[@]}"
measure pandas "$PY" bench/features/pandas_features.py "$TMP/train.csv"

gw=$(wall "$TMP/forecastd.time"); pw=$(wall "$TMP/pandas.time")
gr=$(rss "$TMP/forecastd.time"); pr=$(rss "$TMP/pandas.time")
gc=$(cpu "$TMP/forecastd.time"); pc=$(cpu "$TMP/pandas.time")
echo "$ROWS rows, 20 features, best of $RUNS runs on $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-10s %10s %10s %14s %14s\n' "" "wall s" "cpu s" "rows/s" "peak RSS MiB"
printf '%-10s %10.2f %10.2f %14.0f %14.1f\n' forecastd "$gw" "$gc" "$(echo "$ROWS / $gw" | bc -l)" "$gr"
printf '%-10s %10.2f %10.2f %14.0f %14.1f\n' pandas "$pw" "$pc" "$(echo "$ROWS / $pw" | bc -l)" "$pr"
printf 'forecastd is %.1fx faster (wall), %.1fx less CPU, at %.2f of the peak RSS\n' \
	"$(echo "$pw / $gw" | bc -l)" "$(echo "$pc / $gc" | bc -l)" "$(echo "$gr / $pr" | bc -l)"

# The two describe tables must agree (6 significant digits).
if diff <(tail -n +3 "$TMP/forecastd.txt") <(tail -n +3 "$TMP/pandas.txt") > "$TMP/diff.txt"; then
	echo "describe tables agree: $(($(wc -l < "$TMP/forecastd.txt") - 2)) columns"
else
	echo "describe tables differ:"; cat "$TMP/diff.txt"; exit 1
fi

# CHECK=1 also writes the full default table and compares every value.
if [ "${CHECK:-0}" = 1 ]; then
	"$BIN" features -data "$TMP/sales.csv" -out "$TMP/features.csv" -quiet
	"$PY" bench/features/check_table.py "$TMP/train.csv" "$TMP/features.csv"
fi
