# R forecast peer of bench/scale (issue 20): fits ets, auto.arima, thetaf
# and croston on every series of a CSV (date,store,sku,quantity) over the
# same rolling-origin folds forecastd backtests (origins h apart, the last
# fold testing the final h days) and prints, per model, the CPU seconds
# (user + system, proc.time) of its fits and forecasts and the number of
# fits, as CSV: model,cpu_seconds,fits,failed.
#   Rscript peers.R series.csv 28 3
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; h <- as.integer(args[2]); windows <- as.integer(args[3])
d <- read.csv(path, colClasses = c("character", "character", "character", "numeric"))
d <- d[order(d$store, d$sku, d$date), ]
models <- list(
  ets = function(y) forecast(ets(y), h = h),
  auto.arima = function(y) forecast(auto.arima(y), h = h),
  thetaf = function(y) thetaf(y, h = h),
  croston = function(y) croston(y, h = h)
)
cpu <- setNames(numeric(length(models)), names(models))
fits <- setNames(integer(length(models)), names(models))
failed <- setNames(integer(length(models)), names(models))
for (key in unique(paste(d$store, d$sku))) {
  y <- d$quantity[paste(d$store, d$sku) == key]
  n <- length(y)
  for (j in (windows - 1):0) {
    end <- n - h - j * h
    if (end < 14) next
    train <- ts(y[1:end], frequency = 7)
    for (m in names(models)) {
      t0 <- proc.time()
      ok <- tryCatch({ models[[m]](train); TRUE }, error = function(e) FALSE)
      t1 <- proc.time()
      cpu[m] <- cpu[m] + (t1[["user.self"]] - t0[["user.self"]]) + (t1[["sys.self"]] - t0[["sys.self"]])
      fits[m] <- fits[m] + 1L
      if (!ok) failed[m] <- failed[m] + 1L
    }
  }
}
cat("model,cpu_seconds,fits,failed\n")
for (m in names(models)) cat(sprintf("%s,%.4f,%d,%d\n", m, cpu[m], fits[m], failed[m]))
