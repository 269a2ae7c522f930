# Times R's forecast::auto.arima (forecast 8.20, defaults) on the series
# the Go side times, and writes the series, R's choices, timings and
# holdout MASE to a JSON file for main.go to compare against.
#
#   Rscript peer.R OUT.json [DAILY] [HOURLY] [nofit]
#
# With "nofit" it only writes the series (R's columns stay zero), for
# Go-only comparisons such as main.go -history.
# DAILY store/item series from the Kaggle demand data (last 730 days
# before a 28-day holdout, m = 7: forecastd's default AutoARIMA history)
# and HOURLY M4 series (last 504 hours, the official 48-hour test as
# holdout, m = 24).
suppressMessages(library(forecast))
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
ndaily <- if (length(args) >= 2) as.integer(args[2]) else 10
nhourly <- if (length(args) >= 3) as.integer(args[3]) else 2
nofit <- length(args) >= 4 && args[4] == "nofit"
data <- Sys.getenv("DATA", "../shared/data")

mase <- function(y, test, f, m) mean(abs(test - f)) / mean(abs(diff(y, lag = m)))
series <- list()
if (ndaily > 0) {
  d <- read.csv(unz(file.path(data, "store_item_demand/demand-forecasting-kernels-only.zip"), "train.csv"))
  set.seed(1)
  picks <- head(unique(d[sample(nrow(d)), c("store", "item")]), ndaily)
  for (k in seq_len(nrow(picks))) {
    y <- d$sales[d$store == picks$store[k] & d$item == picks$item[k]]
    y <- tail(y, 730 + 28)
    series[[length(series) + 1]] <- list(name = sprintf("store%d_item%d", picks$store[k], picks$item[k]),
      m = 7, y = head(y, 730), test = tail(y, 28))
  }
}
if (nhourly > 0) {
  tr <- read.csv(file.path(data, "m4_hourly/Hourly-train.csv"), stringsAsFactors = FALSE)
  te <- read.csv(file.path(data, "m4_hourly/Hourly-test.csv"), stringsAsFactors = FALSE)
  for (id in head(c("H10", "H200", "H300", "H1", "H100"), nhourly)) {
    y <- as.numeric(tr[tr$V1 == id, -1]); y <- y[!is.na(y)]
    series[[length(series) + 1]] <- list(name = paste0("m4_", id), m = 24, y = tail(y, 504),
      test = as.numeric(te[te$V1 == id, -1]))
  }
}
for (i in seq_along(series)) {
  s <- series[[i]]
  if (nofit) {
    series[[i]]$r_order <- ""; series[[i]]$r_seconds <- 0; series[[i]]$r_cpu <- 0; series[[i]]$r_mase <- 0
    series[[i]]$r_forecast_cpu <- 0
    next
  }
  y <- ts(s$y, frequency = s$m)
  t0 <- proc.time()
  fit <- auto.arima(y)
  el <- proc.time() - t0
  a <- fit$arma
  series[[i]]$r_order <- forecast:::arima.string(fit)
  series[[i]]$r_seconds <- el[["elapsed"]]
  series[[i]]$r_cpu <- el[["user.self"]] + el[["sys.self"]]
  series[[i]]$r_mase <- mase(s$y, s$test, as.numeric(forecast(fit, h = length(s$test))$mean), s$m)
  # The forecast alone, from the fitted model, over 50 calls (one is far
  # below proc.time's 10 ms).
  t1 <- proc.time()
  for (k in 1:50) invisible(forecast(fit, h = length(s$test)))
  ef <- (proc.time() - t1) / 50
  series[[i]]$r_forecast_cpu <- ef[["user.self"]] + ef[["sys.self"]]
  message(sprintf("R %-16s %-40s %7.2fs", s$name, series[[i]]$r_order, el[["elapsed"]]))
}
writeLines(toJSON(series, auto_unbox = TRUE, digits = NA), out)
