// Package accuracy scores served forecasts against the actuals that
// arrive after them and judges whether a series has drifted from what its
// backtest promised.
//
// Score reads one vintage's realized steps (the forecast with its 80% and
// 95% intervals, and the actual) and gives WAPE, MASE, bias, interval
// coverage and pinball loss. Rule.Judge compares those scores with the
// vintage's own backtest: a series drifts when its realized WAPE is
// beyond the backtest's upper bound, or when its 80% interval covers so
// few actuals that a one-sided binomial test rejects the nominal 80%.
//
// The package imports no storage or HTTP: jobs feeds it what the store
// kept (see jobs/accuracy.go), and it is checked against numpy and scipy
// (testdata/golden.py).
package accuracy
