#!/usr/bin/env bash
# Compare forecastd's AutoARIMA with R's forecast::auto.arima per series:
# chosen order, wall and CPU seconds, holdout MASE.
#
#   bench/models_arima/run.sh [DAILY] [HOURLY]    # from the repository root
#
# DAILY (default 10) Kaggle store/item series of 730 days (m = 7) and
# HOURLY (default 2) M4 series of 504 hours (m = 24; R needs minutes for
# some of these). Needs Rscript with forecast 8.20 and /work/shared/data
# (override with DATA=...). SERIES=file keeps peer.R's output in file and,
# when the file exists, reuses it instead of re-running R.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SERIES=${SERIES:-$TMP/series.json}
if [ ! -s "$SERIES" ]; then
	DATA=$DATA Rscript bench/models_arima/peer.R "$SERIES" "${1:-10}" "${2:-2}"
fi
go run ./bench/models_arima "$SERIES"
