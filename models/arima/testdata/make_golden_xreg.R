# Generates xreg_golden.json for the Go tests of regression with ARIMA
# errors in package models/arima (FitXReg, AutoXReg).
#
#   cd models/arima/testdata && Rscript make_golden_xreg.R
#
# Reference: R 4.2.2, forecast 8.20: forecast::Arima(y, order, seasonal,
# xreg = X, include.mean, include.drift) (stats::arima, method "CSS-ML"),
# forecast::auto.arima(y, xreg = X) with its defaults, and
# forecast(fit, xreg = newX). Data: Kaggle store/item daily demand (last 365
# days before a 28-day holdout) and M4 hourly (last 504 points before the
# official 48-point test), each with synthetic covariates whose effect is
# added to the series, all drawn from seeded generators. The series, the
# covariates (training and future rows) and the holdout are written into the
# golden so the Go tests need neither R nor the shared data.
suppressMessages(library(forecast))
library(jsonlite)

series <- list()
add <- function(name, y, m, h, xreg, test) {
  series[[length(series) + 1]] <<- list(
    name = name, y = as.numeric(y), m = m, h = h, test = as.numeric(test),
    xreg_names = I(colnames(xreg)),
    xreg = lapply(seq_len(ncol(xreg)), function(j) as.numeric(xreg[seq_along(y), j])),
    future = lapply(seq_len(ncol(xreg)), function(j) as.numeric(xreg[length(y) + seq_len(h), j])))
}

# A promotion flag: runs of 2-5 days starting on about 6% of days.
promo_flag <- function(n) {
  f <- numeric(n)
  i <- 1
  while (i <= n) {
    if (runif(1) < 0.06) {
      len <- sample(2:5, 1)
      f[i:min(n, i + len - 1)] <- 1
      i <- i + len + 3
    } else i <- i + 1
  }
  f
}

d <- read.csv(unz("/work/shared/data/store_item_demand/demand-forecasting-kernels-only.zip", "train.csv"))
set.seed(20240611)
for (si in list(c(1, 1), c(2, 5), c(5, 30), c(9, 44))) {
  y <- d$sales[d$store == si[1] & d$item == si[2]]
  y <- tail(y, 365 + 28)
  n <- length(y)
  promo <- promo_flag(n)
  # A price index: a slow, seeded random walk around 1.
  price <- round(1 + cumsum(rnorm(n, 0, 0.01)), 3)
  lift <- 0.45 * mean(y)
  y <- y + round(lift * promo - 40 * (price - 1) * mean(y) / 20)
  X <- cbind(promo = promo, price = price)
  add(sprintf("store%d_item%d", si[1], si[2]), head(y, n - 28), 7, 28, X, tail(y, 28))
}

# M4 hourly with an event flag (blocks of 3-8 hours) adding 30% of the level.
tr <- read.csv("/work/shared/data/m4_hourly/Hourly-train.csv", stringsAsFactors = FALSE)
te <- read.csv("/work/shared/data/m4_hourly/Hourly-test.csv", stringsAsFactors = FALSE)
set.seed(20240612)
for (id in c("H1", "H100")) {
  y <- as.numeric(tr[tr$V1 == id, -1]); y <- y[!is.na(y)]
  y <- c(tail(y, 504), as.numeric(te[te$V1 == id, -1]))
  n <- length(y)
  event <- numeric(n)
  starts <- sort(sample(seq_len(n - 8), 14))
  for (s in starts) event[s:(s + sample(3:8, 1) - 1)] <- 1
  y <- y + 0.3 * mean(y) * event
  add(paste0("m4_", id), head(y, 504), 24, 48, cbind(event = event), tail(y, 48))
}

byname <- function(n) Filter(function(s) s$name == n, series)[[1]]
mat <- function(cols, names) { x <- do.call(cbind, cols); colnames(x) <- names; x }

fixed <- list(
  list(s = "store1_item1", order = c(1, 0, 1), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE, cols = 1),
  list(s = "store1_item1", order = c(2, 0, 0), seasonal = c(1, 0, 0), mean = TRUE, drift = FALSE, cols = 1),
  list(s = "store1_item1", order = c(1, 0, 0), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE, cols = 1:2),
  list(s = "store2_item5", order = c(0, 1, 1), seasonal = c(0, 0, 0), mean = TRUE, drift = TRUE, cols = 1),
  list(s = "store2_item5", order = c(2, 0, 1), seasonal = c(1, 0, 0), mean = TRUE, drift = FALSE, cols = 1:2),
  list(s = "store5_item30", order = c(0, 1, 2), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE, cols = 1:2),
  list(s = "store5_item30", order = c(1, 1, 1), seasonal = c(0, 0, 0), mean = TRUE, drift = TRUE, cols = 1:2),
  list(s = "store9_item44", order = c(1, 0, 1), seasonal = c(1, 0, 0), mean = FALSE, drift = FALSE, cols = 1),
  list(s = "m4_H1", order = c(2, 0, 1), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE, cols = 1),
  list(s = "m4_H100", order = c(1, 1, 1), seasonal = c(1, 0, 0), mean = TRUE, drift = FALSE, cols = 1),
  list(s = "m4_H100", order = c(1, 0, 1), seasonal = c(1, 0, 0), mean = TRUE, drift = FALSE, cols = 1)
)
fixed_out <- lapply(fixed, function(f) {
  s <- byname(f$s)
  y <- ts(s$y, frequency = s$m)
  X <- mat(s$xreg[f$cols], s$xreg_names[f$cols])
  newX <- mat(s$future[f$cols], s$xreg_names[f$cols])
  fit <- Arima(y, order = f$order, seasonal = f$seasonal, xreg = X,
               include.mean = f$mean, include.drift = f$drift)
  fc <- forecast(fit, xreg = newX, h = s$h)
  cat(sprintf("%-14s %-28s %s\n", f$s, forecast:::arima.string(fit),
              paste(sprintf("%s=%.4g", names(coef(fit)), coef(fit)), collapse = " ")))
  list(series = f$s, order = f$order, seasonal = f$seasonal, include_mean = f$mean,
       include_drift = f$drift, xreg_cols = I(f$cols - 1L),
       coef_names = I(names(coef(fit))), coef = I(unname(coef(fit))),
       se = unname(sqrt(diag(fit$var.coef))),
       sigma2 = fit$sigma2, loglik = fit$loglik, aic = fit$aic, aicc = fit$aicc,
       forecast = as.numeric(fc$mean))
})

auto_cases <- list(
  list(s = "store1_item1", cols = 1), list(s = "store2_item5", cols = 1),
  list(s = "store5_item30", cols = 1:2), list(s = "store9_item44", cols = 1),
  list(s = "m4_H1", cols = 1), list(s = "m4_H100", cols = 1)
)
auto_out <- lapply(auto_cases, function(a) {
  s <- byname(a$s)
  y <- ts(s$y, frequency = s$m)
  X <- mat(s$xreg[a$cols], s$xreg_names[a$cols])
  newX <- mat(s$future[a$cols], s$xreg_names[a$cols])
  t0 <- proc.time()[["elapsed"]]
  fit <- auto.arima(y, xreg = X)
  secs <- proc.time()[["elapsed"]] - t0
  fc <- as.numeric(forecast(fit, xreg = newX, h = s$h)$mean)
  ar <- fit$arma # p q P Q m d D
  cat(sprintf("auto %-14s %-32s %.2fs\n", a$s, forecast:::arima.string(fit), secs))
  list(series = a$s, xreg_cols = I(a$cols - 1L), order = c(ar[1], ar[6], ar[2], ar[3], ar[7], ar[4]),
       constant = any(names(coef(fit)) %in% c("intercept", "drift")),
       coef_names = names(coef(fit)), coef = unname(coef(fit)),
       aicc = fit$aicc, loglik = fit$loglik, forecast = fc, seconds = secs)
})

out <- list(generator = "models/arima/testdata/make_golden_xreg.R",
            r_version = R.version.string,
            forecast_version = as.character(packageVersion("forecast")),
            series = series, fixed = fixed_out, auto = auto_out)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE), "xreg_golden.json")
