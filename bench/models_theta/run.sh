#!/bin/sh
# Fit+forecast timings of the SES/Theta/intermittent models in Go and of
# R's ses/thetaf/croston on the same series. Run from anywhere:
#   sh bench/models_theta/run.sh            (BENCHTIME=100x, REPS=20 by default)
# Timings on a loaded machine are inflated: compare Go and R from one run.
set -e
cd "$(dirname "$0")/../.."
echo "== Go: go test -run '^\$' -bench ThetaFitForecast -benchtime=${BENCHTIME:-100x} ./models/"
go test -run '^$' -bench ThetaFitForecast -benchtime="${BENCHTIME:-100x}" ./models/ |
	awk '/^Benchmark/ { printf "Go %-45s %9.3f ms/op %8s B/op %4s allocs/op\n", $1, $3/1e6, $5, $7 }'
echo "== R forecast $(Rscript -e 'cat(as.character(packageVersion("forecast")))'): Rscript bench/models_theta/peer.R"
REPS="${REPS:-20}" Rscript bench/models_theta/peer.R
