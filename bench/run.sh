#!/usr/bin/env bash
# Runs every benchmark harness under bench/*/run.sh, then the Go
# benchmarks. The Python and R peers need:
#   apt-get install r-cran-forecast python3-statsmodels python3-sklearn python3-pandas
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for h in bench/*/run.sh; do
  [ -f "$h" ] || continue
  echo "=== $h"
  bash "$h" || { echo "$h failed"; status=1; }
done
echo "=== go benchmarks"
# Some benchmarks run a whole training job per iteration (forecast's
# GuardOverhead and DemoPromoPlan): 20 of them outlast go test's default
# 10-minute limit per package.
go test -timeout 60m -run '^$' -bench . -benchtime 20x -benchmem ./... || status=1
exit $status
