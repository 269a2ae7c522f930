# Writes testdata/intermittent1826.txt, the intermittent-demand series of
# this benchmark: 1,826 days (as long as the Kaggle series) of demand that
# occurs with probability 0.12 and is 1 + Poisson(3) units when it does,
# drawn as models/testdata/intermittent/make_golden.R draws its series.
# Neither the Kaggle store/item data nor M4 hourly has zeros, so without it
# ADIDA and IMAPA would only ever aggregate at level 1.
# Run once from the repository root:  Rscript bench/models_baselines/make_series.R
set.seed(20261126)
y <- rbinom(1826, 1, 0.12) * (1 + rpois(1826, 3))
writeLines(as.character(y), "bench/models_baselines/testdata/intermittent1826.txt")
