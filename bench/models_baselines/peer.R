# R peers of the models timed by main.go: R forecast 8.20, the official M4
# benchmark code and base R / zoo, on the same series, fit and forecast
# timed apart wherever the R code has a model object between the two.
# Prints one JSON line per (series, model, peer), as main.go does.
# CPU time from proc.time() (user + system of this process; it ticks every
# millisecond here, every 10 ms on some systems): each call is repeated in
# ROUNDS rounds (default 3) of at least MIN_CPU seconds (default 0.1), and
# the fastest round is reported, per call.
# Usage (from the repository root):
#   Rscript bench/models_baselines/peer.R [model,model,...]
suppressMessages({library(forecast); library(jsonlite); library(zoo)})
stopifnot(packageVersion("forecast") == "8.20")
h <- 28
min_cpu <- as.numeric(Sys.getenv("MIN_CPU", "0.1"))
rounds <- as.integer(Sys.getenv("ROUNDS", "3"))
args <- commandArgs(TRUE)
only <- if (length(args) > 0 && nzchar(args[1])) strsplit(args[1], ",")[[1]] else NULL

# The series of main.go's loadSeries; keep in step.
g <- fromJSON("models/testdata/theta/golden.json", simplifyVector = FALSE)
h1 <- NULL
for (s in g$series) if (s$id == "H1") h1 <- unlist(s$y)
series <- list(
  list(name = "daily1826", x = ts(scan("models/testdata/theta/kaggle_store1_item1.txt", quiet = TRUE), frequency = 7), sparse = FALSE),
  list(name = "hourly700", x = ts(h1, frequency = 24), sparse = FALSE),
  list(name = "sparse1826", x = ts(scan("bench/models_baselines/testdata/intermittent1826.txt", quiet = TRUE), frequency = 7), sparse = TRUE))
stopifnot(length(series[[1]]$x) == 1826, length(series[[2]]$x) == 700, length(series[[3]]$x) == 1826)

# The official M4 code (SeasonalityTest, Theta.classic), shared with the
# goldens of models/theta_test.go.
source("models/testdata/theta/m4_benchmarks.R")

# The seasonal adjustment of M4Benchmarks (make_golden.R): the
# multiplicative decomposition where SeasonalityTest finds seasonality.
m4_adjust <- function(input) {
  ppy <- frequency(input)
  if (ppy > 1 && SeasonalityTest(input, ppy)) {
    Dec <- decompose(input, type = "multiplicative")
    list(des = input / Dec$seasonal, last = Dec$seasonal[(length(Dec$seasonal) - ppy + 1):length(Dec$seasonal)])
  } else {
    list(des = input, last = 1)
  }
}
m4_siout <- function(adj, fh) head(rep(adj$last, fh), fh)

lagwalk <- forecast:::lagwalk
croston2 <- forecast:::croston2

# Each peer: fit(x) returns what predict(state, x) needs; a peer without a
# model object between the two has total(x) instead.
peers <- list(
  list(model = "naive", peer = "forecast naive()",
       fit = function(x) lagwalk(x, lag = 1), predict = function(s, x) forecast(s, h = h)$mean),
  list(model = "seasonal_naive", peer = "forecast snaive()",
       fit = function(x) lagwalk(x, lag = frequency(x)), predict = function(s, x) forecast(s, h = h)$mean),
  list(model = "drift", peer = "forecast rwf(drift=TRUE)",
       fit = function(x) lagwalk(x, lag = 1, drift = TRUE), predict = function(s, x) forecast(s, h = h)$mean),
  list(model = "mean", peer = "forecast meanf()", total = function(x) meanf(x, h = h)$mean),
  list(model = "mean", peer = "base R mean()",
       fit = function(x) mean(x), predict = function(s, x) rep(s, h)),
  list(model = "window_average", peer = "base R mean(tail())",
       fit = function(x) mean(tail(x, 28)), predict = function(s, x) rep(s, h)),
  list(model = "window_average", peer = "zoo rollmeanr()",
       fit = function(x) tail(rollmeanr(x, 28), 1), predict = function(s, x) rep(s, h)),
  list(model = "seasonal_window_average", peer = "base R rowMeans()",
       fit = function(x) { m <- frequency(x); rowMeans(matrix(tail(as.numeric(x), 4 * m), nrow = m)) },
       predict = function(s, x) rep_len(s, h)),
  list(model = "naive2", peer = "M4 R code (naive())",
       fit = function(x) { a <- m4_adjust(x); a$fit <- lagwalk(a$des, lag = 1); a },
       predict = function(s, x) forecast(s$fit, h = h)$mean * m4_siout(s, h)),
  list(model = "ses", peer = "M4 R code (ses())",
       fit = function(x) { a <- m4_adjust(x); a$fit <- ets(a$des, "ANN", opt.crit = "mse"); a },
       predict = function(s, x) forecast(s$fit, h = h)$mean * m4_siout(s, h)),
  list(model = "theta", peer = "M4 R code (Theta.classic)",
       total = function(x) { a <- m4_adjust(x); Theta.classic(a$des, h)$mean * m4_siout(a, h) }),
  list(model = "theta", peer = "forecast thetaf()", total = function(x) thetaf(x, h = h)$mean),
  # croston() also refits every prefix for its fitted values (about 45 s
  # of CPU on a daily series); croston2(nofits = TRUE) is its forecast.
  list(model = "croston", peer = "forecast croston()", total = function(x) croston2(x, h = h, nofits = TRUE)),
  list(model = "croston_sba", peer = "forecast croston() * (1-a/2)",
       total = function(x) croston2(x, h = h, nofits = TRUE) * (1 - 0.1 / 2))
)
intermittent <- c("croston", "croston_sba", "tsb", "adida", "imapa")

cpu <- function() { t <- proc.time(); t[["user.self"]] + t[["sys.self"]] }

# measure calls f once to warm up, then grows n until n calls use at least
# min_cpu seconds, and times `rounds` rounds of n calls; it returns the
# nanoseconds per call of the fastest round (the one least disturbed by
# other work on a shared machine) and n.
measure <- function(f) {
  f()
  n <- 1
  best <- Inf
  done <- 0
  while (done < rounds) {
    t0 <- cpu()
    for (i in seq_len(n)) f()
    dt <- cpu() - t0
    if (dt < min_cpu && n < 1e7) {
      nxt <- 100 * n
      if (dt > 0) nxt <- min(nxt, ceiling(1.2 * n * min_cpu / dt))
      n <- max(nxt, 2 * n)
      next
    }
    done <- done + 1
    best <- min(best, 1e9 * dt / n)
  }
  list(ns = best, n = n)
}

for (s in series) {
  x <- s$x
  for (p in peers) {
    if (!is.null(only) && !(p$model %in% only)) next
    if (s$sparse && !(p$model %in% intermittent)) next
    rec <- list(impl = "R", peer = p$peer, series = s$name, model = p$model)
    if (is.null(p$total)) {
      ft <- measure(function() p$fit(x))
      st <- p$fit(x)
      pt <- measure(function() p$predict(st, x))
      fc <- p$predict(st, x)
      rec <- c(rec, list(fit_ns = ft$ns, predict_ns = pt$ns, fit_reps = ft$n, predict_reps = pt$n))
    } else {
      tt <- measure(function() p$total(x))
      fc <- p$total(x)
      rec <- c(rec, list(total_ns = tt$ns, total_reps = tt$n))
    }
    rec$forecast <- as.numeric(fc)
    cat(toJSON(rec, auto_unbox = TRUE, digits = NA), "\n", sep = "")
  }
}
