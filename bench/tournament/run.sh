#!/usr/bin/env bash
# The full default tournament on the Kaggle store/item data: 500 daily
# series x 1,826 days, horizon 28, 3 folds, through `forecastd train`.
# Prints wall time and peak RSS (issue target: < 5 min, < 1 GB on 2 cores).
#   bash bench/tournament/run.sh [extra forecastd train flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
zip=${STORE_ITEM_ZIP:-../shared/data/store_item_demand/demand-forecasting-kernels-only.zip}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/forecastd" ./cmd/forecastd
# train.csv is date,store,item,sales: rename the header to the upload format.
unzip -p "$zip" train.csv | sed '1s/.*/date,store,sku,quantity/' > "$tmp/sales.csv"
echo "rows: $(($(wc -l < "$tmp/sales.csv") - 1))"
/usr/bin/time -v "$tmp/forecastd" train -data "$tmp/sales.csv" -horizon 28 -out "$tmp/forecasts.csv" "$@" 2> "$tmp/time.log" || { cat "$tmp/time.log"; exit 1; }
grep -v '^\s' "$tmp/time.log" | tail -3
grep -E "User time|System time" "$tmp/time.log"
wall=$(grep 'Elapsed (wall clock)' "$tmp/time.log" | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' "$tmp/time.log" | awk '{print $NF}')
echo "forecastd train, default tournament: wall ${wall}, peak RSS $((rss / 1024)) MiB, $(($(wc -l < "$tmp/forecasts.csv") - 1)) forecast rows"
