# Generates var_golden.json: R's var.coef for the fixed-order fits of
# golden.json (run make_golden.R first), to check Model.VarCoef.
#
#   cd models/arima/testdata && Rscript make_golden_var.R
#
# Reference: R 4.2.2, forecast 8.20 (forecast::Arima, i.e. stats::arima
# with method "CSS-ML"; var.coef from optim's numerical Hessian).
suppressMessages(library(forecast))
library(jsonlite)
g <- fromJSON("golden.json", simplifyVector = FALSE)
byname <- function(n) Filter(function(s) s$name == n, g$series)[[1]]
out <- lapply(g$fixed, function(f) {
  s <- byname(f$series)
  y <- ts(unlist(s$y), frequency = s$m)
  fit <- Arima(y, order = unlist(f$order), seasonal = unlist(f$seasonal),
               include.mean = f$include_mean, include.drift = f$include_drift)
  list(series = f$series, order = unlist(f$order), seasonal = unlist(f$seasonal),
       coef = unname(coef(fit)), var_coef = as.numeric(fit$var.coef))
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), "var_golden.json")
