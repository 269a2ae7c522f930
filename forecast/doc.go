// Package forecast runs the tournament that turns the candidate models of
// package models into one forecast per store/SKU, with prediction
// intervals, a leaderboard and the fitted state of the models it kept.
//
// Tournament does one series, in phases (tournament.go reads as their
// list):
//
//  1. Options.Validate fills the defaults and checks the options once,
//     where they enter; past that point the ranking Metric and the
//     Combination are typed enums (ParseMetric, ParseCombination).
//  2. The season is resolved, the covariates planned over the whole
//     horizon are kept (a candidate may only see what production will give
//     it), the others named with the steps they lack in
//     Result.CovariatesDropped, and the rolling-origin backtest is planned (backtest.go): as
//     many folds as the history fits, then a shorter validation horizon,
//     then folds training on one season without the candidates that need
//     two, before any fallback.
//  3. The candidates are fitted and forecast on the folds, raced by
//     default (racing.go): all on the most recent fold first, then each
//     only while it can still reach the top TopK by a lower bound on its
//     metric, statistical by default (Options.Racing fast) or safe by
//     construction (exact: the kept models and forecasts of running every
//     candidate on every fold, Options.Racing off, the reference); a
//     stopped candidate's leaderboard entry says where and why. The
//     regression candidates share one training matrix per fold through
//     the per-series models.Shared. One that fails
//     or panics is recorded on the leaderboard and skipped, and only a
//     cancelled ctx fails the tournament. A candidate whose error wraps
//     models.ErrUnsuitable or models.ErrTooShort (negative values for a
//     count model, a season too long for its form) is recorded as
//     declined, which is no failure.
//  4. The candidates are ranked by their pooled backtest Metric
//     (metrics.go), and the best are refitted on the whole history until
//     TopK of them succeed.
//  5. The kept forecasts are weighted and combined (combine.go): by
//     inverse backtest error (the default), mean or median.
//  6. The combination is scored on the same folds; its errors give the
//     split-conformal radii of the 80% and 95% intervals, and their
//     coverage on each fold calibrated on the others (intervals.go).
//  7. The Outcome holds the Result, the JSON the API serves and the store
//     keeps (result.go), and the Kept models' serialised states.
//
// A history too short for any backtest, or on which no candidate could be
// fitted, gets the fallback instead: the mean of its last season.
//
// Global candidates (models.Spec.Global) learn across series: Run trains
// them before the tournaments, once per backtest origin and once on the
// full histories, on all its series (global.go) or, past one and a half
// groups, on a sample of them (PoolSample, TrainPool: a job trains that
// pool once and passes it to every batch as Options.Pool), and each tournament
// scores them on its folds exactly like a local candidate, bound to the
// pooled model of the fold's origin. A series too short for any backtest
// is then forecast by the global model (ClassColdStart) rather than the
// flat fallback. Outside Run (Tournament on one series) they are trained
// on that series alone.
//
// Every outcome is classified (Class: full, reduced, fallback, cold_start, failed)
// with the reason it is not full; Result.Backtest records the folds asked
// and run and the validation horizon, and Summary counts the classes of a
// run with a warning per series, for jobs and the CLI to report.
//
// Run spreads many series over a bounded worker pool and hands each
// Outcome to a caller's sink; Refresh re-predicts a series from new
// history with the models, weights and interval radii a tournament kept,
// without re-running it; Exercise runs one candidate alone for memguard's
// leak hunt. Nothing here touches storage: results go to the caller.
//
// Every fit and forecast runs under runtime/pprof labels (labels.go):
// LabelModel the candidate, LabelFit the fold or "final", LabelPhase
// backtest, refit, refresh or exercise. Goroutines a model starts inherit
// them, so memguard's budget trips and leaked goroutines name the model
// and phase. They are memguard's label keys, repeated here because
// importing memguard would bring net/http into this package.
package forecast
