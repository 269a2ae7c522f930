# Reference Croston forecasts (forecast::croston, which smooths with
# ses(initial = "simple"): levels start at the first size and interval) for models/croston_test.go.
# Run once from models/testdata/intermittent:  Rscript make_golden.R
# then:  /usr/bin/python3 make_golden.py  (TSB, ADIDA, IMAPA on the same series)
# Series: synthetic intermittent demand drawn here with a fixed seed
# (Bernoulli occurrence times 1 + Poisson size), plus edge cases. R's
# tsintermittent is not installed (apt-cache policy r-cran-tsintermittent:
# no candidate), so TSB, ADIDA and IMAPA come from the Python script.
suppressMessages({library(forecast); library(jsonlite)})
stopifnot(packageVersion("forecast") == "8.20")
set.seed(20261126)
gen <- function(n, p, lambda) rbinom(n, 1, p) * (1 + rpois(n, lambda))
series <- list(
  list(id = "p30", y = gen(120, 0.3, 4)),
  list(id = "p10", y = gen(200, 0.1, 2)),
  list(id = "p80", y = gen(100, 0.8, 10)),
  list(id = "one_nonzero", y = c(rep(0, 6), 5, rep(0, 23))),
  list(id = "first_nonzero", y = c(3, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0)),
  list(id = "last_nonzero", y = c(rep(0, 9), 4)),
  list(id = "dense", y = c(5, 6, 4, 7, 5, 6, 8, 5, 4, 6))
)
h <- 5
for (i in seq_along(series)) {
  y <- series[[i]]$y
  res <- list()
  # forecast 8.20's croston() has no bias-corrected variants: SBA and SBJ
  # are its forecast times 1 - a/2 and 1 - a/(2 - a) (Syntetos & Boylan
  # 2005; Shale, Boylan & Johnston 2006).
  for (a in c(0.1, 0.2)) {
    fc <- as.numeric(croston(y, h = h, alpha = a)$mean)
    res[[length(res) + 1]] <- list(alpha = a, type = "croston", mean = fc)
    res[[length(res) + 1]] <- list(alpha = a, type = "sba", mean = fc * (1 - a / 2))
    res[[length(res) + 1]] <- list(alpha = a, type = "sbj", mean = fc * (1 - a / (2 - a)))
  }
  series[[i]]$h <- h
  series[[i]]$croston <- res
}
writeLines(toJSON(list(source = "R forecast 8.20 croston(); make_golden.R", series = series),
                  digits = NA, auto_unbox = TRUE), "croston_golden.json")
