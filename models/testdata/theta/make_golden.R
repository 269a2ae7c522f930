# Reference forecasts for models/theta_test.go and models/ses_test.go.
# Run once from models/testdata/theta:  Rscript make_golden.R
# Needs R's forecast 8.20 and jsonlite, the shared M4 hourly data and
# kaggle_store1_item1.txt (see README.md).
# Writes golden.json: for each series, its values, season and
#   ses       forecast::ses(x, h)          (plain SES, optimal initial level, MSE)
#   thetaf    forecast::thetaf(x, h)
#   m4        the official M4 benchmarks ("Benchmarks and Evaluation.R",
#             Mcompetitions/M4-methods): seasonality test, multiplicative
#             decomposition indices, Naive2, SES and Theta (Theta.classic),
#             in m4_benchmarks.R.
suppressMessages({library(forecast); library(jsonlite)})
stopifnot(packageVersion("forecast") == "8.20")

source("m4_benchmarks.R") # SeasonalityTest, Theta.classic, M4Benchmarks


# forecast::thetaf's seasonality decision, copied from its source (8.20).
thetaf_seasonal <- function(x) {
  n <- length(x); m <- frequency(x)
  if (m > 1 && !is.constant(x) && n > 2 * m) {
    r <- as.numeric(acf(x, lag.max = m, plot = FALSE)$acf)[-1]
    stat <- sqrt((1 + 2 * sum(r[-m]^2)) / n)
    abs(r[m]) / stat > qnorm(0.95)
  } else FALSE
}

one <- function(id, x, h) {
  s <- ses(x, h = h)
  list(id = id, season = frequency(x), h = h, y = as.numeric(x),
       ses = list(mean = as.numeric(s$mean), alpha = unname(s$model$par["alpha"]),
                  level0 = unname(s$model$par["l"]), mse = s$model$mse),
       thetaf = as.numeric(thetaf(x, h = h)$mean), thetaf_seasonal = thetaf_seasonal(x),
       m4 = M4Benchmarks(x, h))
}

# R datasets: seasonal, and non-seasonal with interior smoothing weights.
out <- list(one("AirPassengers", AirPassengers, 24), one("Nile", Nile, 10),
            one("WWWusage", WWWusage, 10), one("USAccDeaths", USAccDeaths, 24),
            one("LakeHuron", LakeHuron, 10),
            # 30 months with a December spike: thetaf finds seasonality
            # (n > 2m), the M4 test does not look (n < 3m).
            one("Spike30", {set.seed(1); ts(round(100 + 60 * ((1:30) %% 12 == 0) +
                                                  rnorm(30, sd = 3), 1), frequency = 12)}, 12),
            # Odd season: the last year of Kaggle store 1 / item 1 daily sales.
            one("Kaggle_s1_i1_365", ts(tail(scan("kaggle_store1_item1.txt", quiet = TRUE), 365),
                                       frequency = 7), 28))
train <- read.csv("../../../../shared/data/m4_hourly/Hourly-train.csv", stringsAsFactors = FALSE)
for (id in c("H1", "H20", "H60", "H110", "H170", "H230", "H290", "H350", "H414")) {
  row <- as.numeric(train[train$V1 == id, -1])
  x <- ts(row[!is.na(row)], frequency = 24)
  out[[length(out) + 1]] <- one(id, x, 48)
}
writeLines(toJSON(list(source = "R forecast 8.20, M4 official benchmark code; make_golden.R",
                       series = out), digits = NA, auto_unbox = TRUE, null = "null"),
           "golden.json")
