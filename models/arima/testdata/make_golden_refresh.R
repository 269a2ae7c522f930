# Generates refresh_golden.json: forecasts of fixed-order fits after a
# refresh with a longer history and the same coefficients, i.e.
# forecast(Arima(c(y, new), model = fit)), for Model.Refilter.
#
#   cd models/arima/testdata && Rscript make_golden_refresh.R
#
# Reference: R 4.2.2, forecast 8.20. Uses the series of golden.json.
suppressMessages(library(forecast))
library(jsonlite)
g <- fromJSON("golden.json", simplifyVector = FALSE)
byname <- function(n) Filter(function(s) s$name == n, g$series)[[1]]
cases <- Filter(function(f) f$series %in% c("USAccDeaths", "logAirPassengers", "WWWusage", "lh", "store1_item1"), g$fixed)
out <- lapply(cases, function(f) {
  s <- byname(f$series)
  y <- ts(unlist(s$y), frequency = s$m)
  fit <- Arima(y, order = unlist(f$order), seasonal = unlist(f$seasonal),
               include.mean = f$include_mean, include.drift = f$include_drift)
  k <- min(4, length(s$test) - 1)
  longer <- ts(c(unlist(s$y), unlist(s$test)[1:k]), frequency = s$m)
  fit2 <- Arima(longer, model = fit)
  list(series = f$series, order = unlist(f$order), seasonal = unlist(f$seasonal),
       include_mean = f$include_mean, include_drift = f$include_drift, added = k,
       forecast = as.numeric(forecast(fit2, h = 6)$mean))
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), "refresh_golden.json")
