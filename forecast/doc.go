// Package forecast runs the tournament that turns the candidate models of
// package models into one forecast per store/SKU: rolling-origin
// backtests rank the candidates, the best TopK are refitted on the whole
// history and combined, and prediction intervals come from the backtest
// errors of the combination (split conformal).
//
// Run spreads the series over a bounded worker pool; Tournament does one
// series. Neither touches storage: results go to a caller's sink.
package forecast
