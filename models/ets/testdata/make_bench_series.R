# Series for the ETS benchmarks (models/ets_bench_test.go) and the R/Go
# comparison in bench/models_ets: a 1,826-day store/item series (season 7)
# and the last 700 points of an M4 hourly series (season 24).
# Run once from the repository root:
#   Rscript models/ets/testdata/make_bench_series.R ../shared/data models/ets/testdata/bench_series.json
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
datadir <- if (length(args) >= 1) args[1] else "../shared/data"
out <- if (length(args) >= 2) args[2] else "models/ets/testdata/bench_series.json"
tr <- read.csv(unz(file.path(datadir, "store_item_demand", "demand-forecasting-kernels-only.zip"), "train.csv"))
series <- list()
for (si in list(c(1, 1), c(3, 7), c(9, 25))) {
  d <- tr[tr$store == si[1] & tr$item == si[2], ]
  d <- d[order(d$date), ]
  series[[length(series) + 1]] <- list(name = sprintf("daily-store%d-item%d", si[1], si[2]), m = 7, y = d$sales)
}
h4 <- read.csv(file.path(datadir, "m4_hourly", "Hourly-train.csv"), stringsAsFactors = FALSE)
for (id in c("H1", "H105", "H345")) {
  y <- as.numeric(h4[h4$V1 == id, -1][1, ])
  y <- y[!is.na(y)]
  series[[length(series) + 1]] <- list(name = paste0("hourly-", id), m = 24, y = tail(y, 700))
}
writeLines(toJSON(list(generator = "models/ets/testdata/make_bench_series.R", series = series), digits = NA, auto_unbox = TRUE), out)
