#!/usr/bin/env bash
# Go vs R and Python CPU time per fit and per 28-step forecast for every
# model of the baseline, theta and intermittent families (and ses), on
# the same three series, with a check that the forecasts agree where the
# peer computes the same thing. See README.md.
#   bash bench/models_baselines/run.sh
#   MODELS=naive,theta bash bench/models_baselines/run.sh
# Each timing is the fastest of ROUNDS (3) rounds of at least MIN_CPU_GO /
# MIN_CPU_R / MIN_CPU_PY CPU seconds (0.05, 0.1, 0.05: R's clock may tick
# every 10 ms, though here it ticks every millisecond).
set -euo pipefail
cd "$(dirname "$0")/../.."
models=${MODELS:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
go build -o "$tmp/models_baselines" ./bench/models_baselines
rounds=${ROUNDS:-3}
"$tmp/models_baselines" -min-cpu "${MIN_CPU_GO:-0.05}s" -rounds "$rounds" ${models:+-models "$models"} > "$tmp/go.jsonl"
ROUNDS=$rounds MIN_CPU="${MIN_CPU_R:-0.1}" Rscript bench/models_baselines/peer.R "$models" > "$tmp/r.jsonl"
# One thread for numpy/scipy, as Go and R use one core each here.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 ROUNDS=$rounds MIN_CPU="${MIN_CPU_PY:-0.05}" \
  /usr/bin/python3 bench/models_baselines/peer.py "$models" > "$tmp/py.jsonl"
/usr/bin/python3 bench/models_baselines/compare.py "$tmp/go.jsonl" "$tmp/r.jsonl" "$tmp/py.jsonl"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
