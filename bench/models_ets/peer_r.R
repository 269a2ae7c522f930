# R peer for bench/models_ets: times forecast 8.20's ets(), holt(),
# holt(damped=TRUE), hw() and hw(seasonal="multiplicative") on the series
# of models/ets/testdata/bench_series.json, each fitted on all but the last
# 2m points and scored by MAE on those points. Prints one JSON line per
# (series, method) with CPU seconds (user+system) and wall seconds.
#   Rscript bench/models_ets/peer_r.R models/ets/testdata/bench_series.json
suppressPackageStartupMessages({
  library(forecast)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[1] else "models/ets/testdata/bench_series.json"
methods <- if (length(args) >= 2) strsplit(args[2], ",")[[1]] else c("auto_ets", "holt", "damped_holt", "holt_winters_add", "holt_winters_mul")
d <- fromJSON(path, simplifyVector = FALSE)
forecast_reps <- 50
for (s in d$series) {
  y <- unlist(s$y)
  h <- 2 * s$m
  n <- length(y) - h
  train <- ts(y[1:n], frequency = s$m)
  test <- y[(n + 1):length(y)]
  for (meth in methods) {
    # The fit, then the forecast from it, timed apart: holt() and hw()
    # forecast as they fit, so their model is forecast again from
    # $model; a forecast is far below proc.time's 10 ms, so it is timed
    # over forecast_reps calls.
    t0 <- proc.time()
    fit <- tryCatch(switch(meth,
      auto_ets = ets(train),
      holt = holt(train, h = h)$model,
      damped_holt = holt(train, h = h, damped = TRUE)$model,
      holt_winters_add = hw(train, h = h)$model,
      holt_winters_mul = hw(train, h = h, seasonal = "multiplicative")$model),
      error = function(e) NULL)
    dt <- proc.time() - t0
    fc <- NULL
    df <- c(0, 0, 0)
    if (!is.null(fit)) {
      t1 <- proc.time()
      for (k in seq_len(forecast_reps)) fc <- forecast(fit, h = h)
      df <- (proc.time() - t1) / forecast_reps
    }
    rec <- list(impl = "R", series = s$name, n = n, method = meth,
                fit_cpu = unname(dt[1] + dt[2]), forecast_cpu = unname(df[1] + df[2]),
                cpu = unname(dt[1] + dt[2] + df[1] + df[2]), wall = unname(dt[3] + df[3]))
    if (!is.null(fc)) {
      rec$model <- fc$model$method
      rec$mae <- mean(abs(as.numeric(fc$mean) - test))
    } else {
      rec$model <- "error"
    }
    cat(toJSON(rec, auto_unbox = TRUE, digits = NA), "\n")
  }
}
