#!/usr/bin/env bash
# The global candidates (global_gbdt, global_gbdt_direct, global_window_ridge) against today's
# default tournament and the pooled XGBoost peer, on the same split:
# Kaggle store/item with the last 90 days held out (h = 90; WAPE of the
# SKUs, of store totals and of the grand total, summed from the SKUs),
# and M4 hourly (OWA). Prints wall time and peak RSS of each run; the
# figures are in bench/global/RESULTS.md.
#   bash bench/global/run.sh                     # everything (about an hour on 2 cores)
#   LIMIT=50 SETS=store bash bench/global/run.sh # a fast subset
# The peer needs Debian's python3-xgboost and python3-pandas.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${DATA:-../shared/data}
limit=${LIMIT:-0}
sets=${SETS:-store,m4}
configs=${CONFIGS:-local,default,global,direct,tweedie,ridge,local+ridge,default+ridge}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/global" ./bench/global
for set in ${sets//,/ }; do
  for c in ${configs//,/ }; do
    /usr/bin/time -f "  $set $c: wall %e s, peak RSS %M KB" "$tmp/global" -data "$data" -set "$set" -limit "$limit" -configs "$c" 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
    tail -1 "$tmp/err"
  done
  if [ "$set" = store ]; then
    peer=(--threads 1)
    [ "$limit" -gt 0 ] && peer+=(--limit "$limit")
    /usr/bin/python3 bench/global/peer_xgboost.py "$data/store_item_demand/demand-forecasting-kernels-only.zip" "${peer[@]}"
  fi
done
