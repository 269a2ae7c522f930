# Generates tests_golden.json: the unit-root and seasonality tests
# auto.arima uses, on the series of golden.json (run make_golden.R first).
#
#   cd models/arima/testdata && Rscript make_golden_tests.R
#
# Reference: R 4.2.2, forecast 8.20 (ndiffs with KPSS, nsdiffs with
# test = "seas", seas.heuristic, mstl), urca's ur.kpss.
suppressMessages(library(forecast))
library(jsonlite)
g <- fromJSON("golden.json", simplifyVector = TRUE)
s <- g$series
out <- lapply(seq_len(nrow(s)), function(i) {
  y <- ts(s$y[[i]], frequency = s$m[i])
  kp <- urca::ur.kpss(as.numeric(y), type = "mu", use.lag = trunc(3 * sqrt(length(y)) / 13))@teststat[1]
  r <- list(series = s$name[i], m = s$m[i], kpss = kp, ndiffs = ndiffs(y))
  if (s$m[i] > 1) {
    r$seas_strength <- forecast:::seas.heuristic(y)
    r$nsdiffs <- nsdiffs(y)
    st <- mstl(y)
    r$stl_seasonal <- as.numeric(st[, 3])
    r$stl_trend <- as.numeric(st[, 2])
  }
  r
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), "tests_golden.json")
