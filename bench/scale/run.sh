#!/usr/bin/env bash
# Scale measurement (issue 20): M5-shaped data at 1k series (default),
# trained with the default tournament, h=28; peers R forecast and
# statsmodels on the same series when they are installed.
#   bash bench/scale/run.sh                                  # 1k series, peers
#   bash bench/scale/run.sh -sizes 1000,3000,10000,30490 -peers r,statsmodels
# Needs Rscript with the forecast package and python3 with statsmodels for
# the peers (apt-get install r-cran-forecast python3-statsmodels).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
bin=$(mktemp -d)/scale
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/scale
if [ $# -eq 0 ]; then
	peers=""
	command -v Rscript >/dev/null && peers="r"
	/usr/bin/python3 -c 'import statsmodels' 2>/dev/null && peers="${peers:+$peers,}statsmodels"
	set -- -sizes 1000 ${peers:+-peers $peers}
fi
"$bin" "$@"
