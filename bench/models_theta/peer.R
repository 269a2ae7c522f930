# Peer timing for BenchmarkThetaFitForecast: R forecast 8.20's ses(),
# thetaf() and croston() on the same two series as the Go benchmark
# (fit plus a 28-step forecast, like the Go benchmark).
# Usage (from the repository root): Rscript bench/models_theta/peer.R
suppressMessages({library(forecast); library(jsonlite)})
daily <- ts(scan("models/testdata/theta/kaggle_store1_item1.txt", quiet = TRUE), frequency = 7)
g <- fromJSON("models/testdata/theta/golden.json", simplifyVector = FALSE)
h1 <- NULL
for (s in g$series) if (s$id == "H1") h1 <- ts(unlist(s$y), frequency = 24)
stopifnot(length(daily) == 1826, length(h1) == 700)
reps <- as.integer(Sys.getenv("REPS", "20"))
# croston() also builds its in-sample fitted values by re-running itself on
# every prefix of the series (quadratic in n: about 45 s of CPU for the daily
# series), which the Go code does not do. The comparable figure is
# forecast:::croston2(nofits = TRUE), the forecast alone, timed here.
timeit <- function(f, n = reps) {
  f()  # warm up
  t <- system.time(for (i in seq_len(n)) f())[["elapsed"]]
  1000 * t / n
}
for (s in list(list("daily1826", daily), list("hourly700", h1))) {
  x <- s[[2]]
  cat(sprintf("R %-10s %-8s %9.3f ms/op\n", s[[1]], "ses", timeit(function() ses(x, h = 28))))
  cat(sprintf("R %-10s %-8s %9.3f ms/op\n", s[[1]], "thetaf", timeit(function() thetaf(x, h = 28))))
  cat(sprintf("R %-10s %-8s %9.3f ms/op\n", s[[1]], "croston", timeit(function() forecast:::croston2(x, h = 28, nofits = TRUE))))
}
