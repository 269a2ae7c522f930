# Generates golden.json for the Go tests of package models/arima.
#
#   cd models/arima/testdata && Rscript make_golden.R
#
# Reference: R 4.2.2, forecast 8.20 (stats::arima via forecast::Arima, and
# forecast::auto.arima with its defaults). Data: R's datasets (lh, USAccDeaths,
# WWWusage, AirPassengers) and excerpts of /work/shared/data (M4 hourly,
# Kaggle store/item daily demand); the series themselves are written into the
# golden so the Go tests need neither R nor the shared data.
suppressMessages(library(forecast))
library(jsonlite)

series <- list()
add <- function(name, y, m, h, test = NULL) {
  series[[length(series) + 1]] <<- list(name = name, y = as.numeric(y), m = m, h = h,
                                        test = if (is.null(test)) numeric() else as.numeric(test))
}
hold <- function(name, y, m, h) {
  n <- length(y)
  add(name, head(y, n - h), m, h, tail(y, h))
}
hold("lh", lh, 1, 8)
hold("USAccDeaths", USAccDeaths, 12, 12)
hold("WWWusage", WWWusage, 1, 10)
hold("logAirPassengers", log(AirPassengers), 12, 12)

# M4 hourly: last 504 training points, the official 48 test points as holdout.
tr <- read.csv("/work/shared/data/m4_hourly/Hourly-train.csv", stringsAsFactors = FALSE)
te <- read.csv("/work/shared/data/m4_hourly/Hourly-test.csv", stringsAsFactors = FALSE)
for (id in c("H1", "H10", "H100", "H200", "H300")) {
  y <- as.numeric(tr[tr$V1 == id, -1]); y <- y[!is.na(y)]
  add(paste0("m4_", id), tail(y, 504), 24, 48, as.numeric(te[te$V1 == id, -1]))
}

# Kaggle store/item daily demand: last 365 days before a 28-day holdout.
d <- read.csv(unz("/work/shared/data/store_item_demand/demand-forecasting-kernels-only.zip", "train.csv"))
for (si in list(c(1, 1), c(3, 17), c(7, 42))) {
  y <- d$sales[d$store == si[1] & d$item == si[2]]
  y <- tail(y, 365 + 28)
  hold(sprintf("store%d_item%d", si[1], si[2]), y, 7, 28)
}

# Fixed-order fits.
fixed <- list(
  list(s = "lh", order = c(1, 0, 0), seasonal = c(0, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "lh", order = c(3, 0, 0), seasonal = c(0, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "lh", order = c(1, 0, 1), seasonal = c(0, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "USAccDeaths", order = c(0, 1, 1), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE),
  list(s = "USAccDeaths", order = c(1, 0, 0), seasonal = c(1, 1, 0), mean = TRUE, drift = TRUE),
  list(s = "WWWusage", order = c(1, 1, 1), seasonal = c(0, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "WWWusage", order = c(3, 1, 0), seasonal = c(0, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "WWWusage", order = c(2, 2, 0), seasonal = c(0, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "logAirPassengers", order = c(0, 1, 1), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE),
  list(s = "logAirPassengers", order = c(2, 1, 0), seasonal = c(0, 0, 0), mean = TRUE, drift = TRUE),
  list(s = "logAirPassengers", order = c(1, 0, 0), seasonal = c(2, 1, 0), mean = TRUE, drift = FALSE),
  list(s = "m4_H1", order = c(2, 0, 1), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE),
  list(s = "m4_H100", order = c(1, 1, 1), seasonal = c(1, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "store1_item1", order = c(1, 0, 1), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE),
  list(s = "store3_item17", order = c(2, 0, 0), seasonal = c(1, 0, 0), mean = TRUE, drift = FALSE),
  list(s = "store7_item42", order = c(0, 1, 2), seasonal = c(0, 1, 1), mean = TRUE, drift = FALSE)
)
byname <- function(n) Filter(function(s) s$name == n, series)[[1]]
fixed_out <- lapply(fixed, function(f) {
  s <- byname(f$s)
  y <- ts(s$y, frequency = s$m)
  fit <- Arima(y, order = f$order, seasonal = f$seasonal, include.mean = f$mean,
               include.drift = f$drift)
  fc <- forecast(fit, h = s$h)
  list(series = f$s, order = f$order, seasonal = f$seasonal, include_mean = f$mean,
       include_drift = f$drift, coef_names = names(coef(fit)), coef = unname(coef(fit)),
       sigma2 = fit$sigma2, loglik = fit$loglik, aic = fit$aic, aicc = fit$aicc,
       forecast = as.numeric(fc$mean))
})

mase <- function(y, test, f, m) {
  scale <- mean(abs(diff(y, lag = m)))
  mean(abs(test - f)) / scale
}
auto_out <- lapply(series, function(s) {
  y <- ts(s$y, frequency = s$m)
  t0 <- proc.time()[["elapsed"]]
  fit <- auto.arima(y)
  secs <- proc.time()[["elapsed"]] - t0
  fc <- as.numeric(forecast(fit, h = s$h)$mean)
  a <- fit$arma # p q P Q m d D
  cat(sprintf("%-18s %-32s %.2fs\n", s$name, arimaorder_string <- forecast:::arima.string(fit), secs))
  list(series = s$name, order = c(a[1], a[6], a[2], a[3], a[7], a[4]),
       constant = any(names(coef(fit)) %in% c("intercept", "drift")),
       coef_names = names(coef(fit)), coef = unname(coef(fit)),
       aicc = fit$aicc, loglik = fit$loglik, forecast = fc,
       mase = mase(s$y, s$test, fc, s$m), seconds = secs)
})

out <- list(generator = "models/arima/testdata/make_golden.R",
            r_version = R.version.string,
            forecast_version = as.character(packageVersion("forecast")),
            series = series, fixed = fixed_out, auto = auto_out)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE), "golden.json")
