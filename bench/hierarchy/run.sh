#!/usr/bin/env bash
# Hierarchical reconciliation on the Kaggle store/item data: the last 90
# days of the 500 series held out, h=90, a default tournament on every
# node (500 series, 10 stores, 50 SKUs, the total), each method of
# forecast/hierarchy side by side, WAPE at every level. Takes a while on
# 2 cores (RESULTS.md gives the time). Then Walmart45's weekly store
# totals (total and 45 stores, last 13 weeks held out). For a quick look:
#   bash bench/hierarchy/run.sh -stores 3 -skus 5 -models naive,seasonal_naive,ses
set -euo pipefail
cd "$(dirname "$0")/../.."
go run ./bench/hierarchy -set store "$@"
go run ./bench/hierarchy -set walmart "$@"
