# Golden values for forecastd's ETS family and baselines (models/ets_test.go,
# models/baseline_test.go), from R's forecast package 8.20.
#
# Run once from the repository root:
#   Rscript models/ets/testdata/make_golden.R ../shared/data models/ets/testdata/golden.json
#
# For each series it records the series itself, then for each method the
# fitted parameters, the full initial state (l, b, s_0..s_{m-1} as in
# R's model$initstate), loglik, AICc, MSE and the point forecasts:
#   ets(model = "AAN"), ets("AAN", damped = TRUE), ets("AAA"), ets("MAM")
#   holt(), holt(damped = TRUE), hw(), hw(seasonal = "multiplicative")
#   ets() (automatic selection), and ets() on all but the last h points
#   rwf(drift = TRUE), meanf()
suppressPackageStartupMessages({
  library(forecast)
  library(jsonlite)
})
stopifnot(packageVersion("forecast") == "8.20")
args <- commandArgs(trailingOnly = TRUE)
datadir <- if (length(args) >= 1) args[1] else "../shared/data"
out <- if (length(args) >= 2) args[2] else "models/ets/testdata/golden.json"

series <- list()
add <- function(name, y, m, source) {
  series[[length(series) + 1]] <<- list(name = name, m = m, y = as.numeric(y), source = source)
}
add("AirPassengers", AirPassengers, 12, "R datasets::AirPassengers")
add("USAccDeaths", USAccDeaths, 12, "R datasets::USAccDeaths")
add("UKgas", UKgas, 4, "R datasets::UKgas")
add("WWWusage", WWWusage, 1, "R datasets::WWWusage")
add("Nile", Nile, 1, "R datasets::Nile")
# Fewer than three seasons: initstate detrends by a Fourier regression.
add("USAccDeaths-30", head(USAccDeaths, 30), 12, "R datasets::USAccDeaths, first 30 months")

# M4 hourly: the last 336 points (two weeks) of five series, season 24.
h4 <- read.csv(file.path(datadir, "m4_hourly", "Hourly-train.csv"), stringsAsFactors = FALSE)
for (id in c("H1", "H20", "H105", "H220", "H345")) {
  row <- h4[h4$V1 == id, -1]
  y <- as.numeric(row[1, ])
  y <- y[!is.na(y)]
  add(paste0("M4-", id), tail(y, 336), 24, paste0("M4 Hourly-train.csv ", id, ", last 336 points"))
}

# Kaggle store/item demand: the last 365 days of three store/item pairs, season 7.
tr <- read.csv(unz(file.path(datadir, "store_item_demand", "demand-forecasting-kernels-only.zip"), "train.csv"))
for (si in list(c(1, 1), c(2, 15), c(7, 42))) {
  d <- tr[tr$store == si[1] & tr$item == si[2], ]
  d <- d[order(d$date), ]
  add(sprintf("store%d-item%d", si[1], si[2]), tail(d$sales, 365), 7,
      sprintf("store_item_demand train.csv store %d item %d, last 365 days", si[1], si[2]))
}
d <- tr[tr$store == 4 & tr$item == 3, ]
d <- d[order(d$date), ]
add("store4-item3-20d", tail(d$sales, 20), 7, "store_item_demand train.csv store 4 item 3, last 20 days (under three seasons)")

desc <- function(fc) {
  fit <- fc$model
  if (is.null(fit)) fit <- fc
  p <- fit$par
  get <- function(nm) if (is.na(p[nm])) NULL else unname(p[nm])
  list(method = fit$method,
       components = fit$components,
       alpha = get("alpha"), beta = get("beta"), gamma = get("gamma"), phi = get("phi"),
       init = I(unname(as.numeric(fit$initstate))),
       loglik = fit$loglik, aicc = fit$aicc, mse = fit$mse,
       sigma2 = fit$sigma2, npar = length(fit$par),
       forecast = I(as.numeric(fc$mean)))
}
try1 <- function(expr) tryCatch(expr, error = function(e) list(error = conditionMessage(e)))

res <- list()
for (s in series) {
  y <- ts(s$y, frequency = s$m)
  h <- max(2 * s$m, 10)
  cat(s$name, length(y), "\n")
  r <- list(name = s$name, source = s$source, m = s$m, h = h, y = s$y, fits = list())
  ets_fc <- function(...) forecast(ets(y, ...), h = h)
  r$fits$ets_AAN <- try1(desc(ets_fc(model = "AAN", damped = FALSE)))
  r$fits$ets_AAdN <- try1(desc(ets_fc(model = "AAN", damped = TRUE)))
  if (s$m > 1) {
    r$fits$ets_AAA <- try1(desc(ets_fc(model = "AAA", damped = FALSE)))
    r$fits$ets_MAM <- try1(desc(ets_fc(model = "MAM", damped = FALSE)))
    r$fits$hw_add <- try1(desc(hw(y, h = h)))
    r$fits$hw_mul <- try1(desc(hw(y, h = h, seasonal = "multiplicative")))
  }
  r$fits$holt <- try1(desc(holt(y, h = h)))
  r$fits$damped_holt <- try1(desc(holt(y, h = h, damped = TRUE)))
  r$fits$auto <- try1(desc(ets_fc()))
  # Holdout: ets() on all but the last h points, to compare the accuracy of
  # the automatic selections on data neither saw.
  yh <- ts(head(s$y, length(s$y) - h), frequency = s$m)
  r$auto_holdout <- try1(desc(forecast(ets(yh), h = h)))
  r$rwf_drift <- as.numeric(rwf(y, h = h, drift = TRUE)$mean)
  r$meanf <- as.numeric(meanf(y, h = h)$mean)
  res[[length(res) + 1]] <- r
}
writeLines(toJSON(list(generator = "models/ets/testdata/make_golden.R", forecast_version = as.character(packageVersion("forecast")), series = res),
                  digits = NA, auto_unbox = TRUE, null = "null", pretty = TRUE), out)
