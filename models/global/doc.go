// Package global is a forecaster that learns across series: one
// histogram gradient-boosted model (models/ml.HGBT, Poisson loss for
// counts) trained on the pooled feature rows of every series of a job,
// then used to forecast each of them, including series too short to
// train a model of their own (cold start).
//
// Local candidates see one series, so a SKU with a few weeks of history,
// or a noisy one, has little to learn from. Pooling lets the weekly and
// yearly shape, the reaction to the recent level and to covariates be
// learnt from all series at once; the M5 competition's winners were
// pooled boosted trees of this kind.
//
// How the pieces fit:
//
//   - Every series is divided by its scale (the mean of its last few
//     seasons), so that series of very different volumes share one
//     model; the target and every lag or window feature are scaled, and
//     forecasts are multiplied back.
//   - The rows are the features package's (lags, rolling min/max/mean/std
//     over several windows, year-ago, calendar, planned covariates), plus
//     the position in the season and series-level statistics: the log
//     scale, the coefficient of variation and the share of zeros of the
//     recent history, and target-encoded store and SKU identity (the mean
//     log scale of the store's and of the SKU's series, relative to all).
//   - A pool's rows are capped (Settings.PoolRows): beyond the cap each
//     row is kept by a fixed hash of its series key and target index, so
//     a model costs the same whether its pool has 200 series or 1,000,
//     and is the same from run to run.
//   - Train fits one Model on a set of series (the forecast package calls
//     it once per backtest origin and once on the full histories);
//     Model.Forecast forecasts one series recursively, feeding each step
//     back as the next step's lags. A series shorter than the longest lag
//     is padded backwards with whole seasons of its own history, so its
//     level comes from the weeks it has and its shape from the pool.
//
// The package knows nothing of tournaments: package forecast decides the
// origins, and package models wraps a Model as the global_gbdt candidate.
package global
