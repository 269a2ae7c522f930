#!/usr/bin/env bash
# Scale-out measurement: wall time of one training job with 1 and 2
# `forecastd worker` processes sharing it over PostgreSQL.
#   bash bench/scaleout/run.sh            # defaults: 3 stores x 24 SKUs x 730 days
#   bash bench/scaleout/run.sh -skus 48 -reps 2 -workers 1,2,3
#   bash bench/scaleout/run.sh -sizes 3049 -models default -workers 1,2 -identity -v   # M5-shaped, default tournament,
#       forecasts checked against one process (max |diff|), every partition's timing printed
#   bash bench/scaleout/run.sh -sizes 30490 -models default -workers 2 -identity       # the full M5 size (hours)
# Needs PostgreSQL: scripts/pg-setup.sh installs/starts it (as root) and
# prints the URL; or set FORECASTD_TEST_DATABASE_URL yourself.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
if [ -z "${FORECASTD_TEST_DATABASE_URL:-}" ]; then
	FORECASTD_TEST_DATABASE_URL="$(bash scripts/pg-setup.sh </dev/null)"
	export FORECASTD_TEST_DATABASE_URL
fi
bin=$(mktemp -d)/scaleout
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/scaleout
"$bin" "$@"
