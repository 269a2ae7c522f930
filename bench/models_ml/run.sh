#!/usr/bin/env bash
# Go (models/ml) vs scikit-learn 1.2 fit and predict times on the same
# design matrices (make_matrix.py: 700×20 from one Kaggle store/item
# series, 150,000×20 pooled from 100 series), same settings, one thread
# each (OMP/BLAS threads pinned to 1 for the peer). Times are CPU time
# per operation, because the machine is shared.
#   bash bench/models_ml/run.sh                 # small and large
#   SIZES=small bash bench/models_ml/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=${SIZES:-small,large}
dir=${FORECASTD_ML_BENCH:-/tmp/forecastd_ml_bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f "$dir/large_x.f64" ] || /usr/bin/python3 bench/models_ml/make_matrix.py "$dir" >/dev/null
# Small: 20 iterations; large fits take seconds: one each, and five
# predictions (getrusage is too coarse for one) — except kNN's large fit,
# which only checks its input (~1 ms): 20, as peer_sklearn.py does.
for s in ${sizes//,/ }; do
  fn=20x; pn=20x; fit="Fit/.*/$s\$"
  [ "$s" = large ] && { fn=1x; pn=5x; fit="Fit/^[^k]/$s\$"; }
  FORECASTD_ML_BENCH="$dir" FORECASTD_ML_BENCH_SIZES=$s \
    go test -timeout 0 -run '^$' -bench "$fit" -benchtime $fn -benchmem ./bench/models_ml/ >> "$tmp/go.txt"
  if [ "$s" = large ]; then
    FORECASTD_ML_BENCH="$dir" FORECASTD_ML_BENCH_SIZES=$s \
      go test -timeout 0 -run '^$' -bench "Fit/knn/$s\$" -benchtime 20x -benchmem ./bench/models_ml/ >> "$tmp/go.txt"
  fi
  FORECASTD_ML_BENCH="$dir" FORECASTD_ML_BENCH_SIZES=$s \
    go test -timeout 0 -run '^$' -bench "Predict/.*/$s\$" -benchtime $pn -benchmem ./bench/models_ml/ >> "$tmp/go.txt"
done
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  /usr/bin/python3 bench/models_ml/peer_sklearn.py "$dir" "$sizes" > "$tmp/py.txt"
# Keep the raw outputs for the README.
cp "$tmp/go.txt" "$tmp/py.txt" "$dir/"
/usr/bin/python3 - "$tmp/go.txt" "$tmp/py.txt" <<'PY'
import re, sys
go = {}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(Fit|Predict)/(\w+)/(\w+)-\d+\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) cpu-ns/op", line)
    if m:
        go[(m[2], m[3], m[1].lower())] = float(m[4])
print(f"{'model':<14}{'size':<7}{'Go fit ms':>11}{'sk fit ms':>11}{'ratio':>7}{'Go pred µs':>12}{'sk pred µs':>12}{'ratio':>7}")
for line in open(sys.argv[2]):
    name, size, fit, pred = line.split()
    gf, gp = go.get((name, size, "fit")), go.get((name, size, "predict"))
    if gf is None or gp is None:
        continue
    sf, sp = float(fit), float(pred)
    print(f"{name:<14}{size:<7}{gf/1e6:>11.2f}{sf/1e6:>11.2f}{sf/gf:>6.1f}x{gp/1e3:>12.1f}{sp/1e3:>12.1f}{sp/gp:>6.1f}x")
print("ratio = sklearn time / Go time (> 1: Go is faster)")
PY
