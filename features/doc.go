// Package features turns a regular sales series into the feature matrix
// that the regression candidates learn from: lags, rolling-window
// statistics, the same period last year and calendar features.
//
// Every feature of the row for target index t is computed from y[:t]
// only (pandas' shift(1) before rolling), so a row never sees its own
// target, and the rows of a training fold that ends before an origin
// never see anything at or after it: leakage-free by construction.
package features
