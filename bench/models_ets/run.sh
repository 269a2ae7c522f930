#!/usr/bin/env bash
# Go vs R (forecast 8.20) for the ETS candidates: fit on all but the last
# 2m points of each series in models/ets/testdata/bench_series.json (three
# 1,826-day store/item series, season 7; three 700-point M4 hourly series,
# season 24), forecast 2m steps, report CPU seconds and holdout MAE.
# CPU time, not wall time, because the benchmark machine is shared. The
# statsmodels ETSModel peer is timed too for the fixed forms.
#   bash bench/models_ets/run.sh            # all ETS models
#   METHODS=auto_ets bash bench/models_ets/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
series=models/ets/testdata/bench_series.json
methods=${METHODS:-auto_ets,holt,damped_holt,holt_winters_add,holt_winters_mul}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./bench/models_ets -reps 3 -methods "$methods" "$series" > "$tmp/go.jsonl"
Rscript bench/models_ets/peer_r.R "$series" "$methods" > "$tmp/r.jsonl"
# statsmodels' ETSModel (maximum likelihood, no automatic selection).
/usr/bin/python3 bench/models_ets/peer_statsmodels.py "$series" "$methods" > "$tmp/sm.jsonl"
/usr/bin/python3 bench/models_ets/compare.py "$tmp/go.jsonl" "$tmp/r.jsonl" "$tmp/sm.jsonl"
