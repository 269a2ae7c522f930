// Package features turns a regular sales series into the feature matrix
// that the regression candidates of package models learn from: lags,
// rolling-window statistics, the same period last year, calendar features
// and known covariates (FEATURES.md gives every column's pandas
// definition).
//
// Every feature of the row for target index t is computed from y[:t]
// only (pandas' shift(1) before rolling), so a row never sees its own
// target, and the rows of a training fold that ends before an origin
// never see anything at or after it: leakage-free by construction.
//
// The pieces:
//
//   - Roller holds the rolling-window kernels (Sum, Mean, Var, Std, Min,
//     Max, Median, Quantile, Zeros), EWM.Mean and ExpandingMean the
//     whole-history ones. They follow pandas' rolling(w, min_periods)
//     semantics, NaNs included, write into a caller's dst, cost O(n) (the
//     order statistics O(n log w)) whatever the window, and allocate
//     nothing once warm. A Stat names a kernel; the Builder picks one
//     by it.
//   - Config selects the columns (DefaultConfig for daily data,
//     SeasonalConfig for other seasons); NewBuilder checks it once and
//     lays out the columns.
//   - Builder arranges the kernels into rows: Matrix for the training
//     rows of a series (MatrixCov with its covariates), Row for the one
//     row a recursive forecast needs per step (RowCov; O(total window),
//     equal to Matrix's last row to the last bit), AppendSeries for one
//     matrix of many series, Dense to hand it to gonum. Mean, Std and Var
//     columns of one window share one pass over its moments, and the
//     medians and quantiles of one window one sorted window.
//
// Sums and moments are combined from block prefixes and suffixes instead
// of a running total, so they stay exact where pandas' add-and-subtract
// loses the small values after a huge one has left the window; the tests
// hold them to pandas 1.5 within 1e-9 and, where pandas is off, to exact
// rational arithmetic.
package features
