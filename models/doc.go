// Package models holds forecastd's candidate forecasters and the registry
// that the tournament (package forecast) draws them from.
//
// Every candidate follows one contract:
//
//   - A Forecaster is a value whose exported fields are its hyperparameters,
//     with documented defaults; the zero value of each field means "use
//     the default", so the registry's New() returns a ready-to-use model.
//   - Fit(ctx, in) estimates the model on a history and returns a Fitted.
//     Long fits check ctx and stop promptly with ctx.Err().
//   - Fitted.Forecast(ctx, in, h) predicts h steps after the last point of
//     in. in is normally the history the model was fitted on; it may be a
//     longer history of the same series (a refresh: new sales, same
//     parameters), and models re-run their filters or features over it.
//   - A Fitted is serialisable with encoding/json; Spec.Load restores it
//     and the restored value forecasts identically.
//   - Anything stochastic draws from a source seeded by the model's Seed
//     field: same seed, same forecast.
//   - Series a model cannot handle (too short, constant, all zeros where
//     that matters) give an error wrapping ErrTooShort or ErrUnsuitable,
//     never a panic or a silent zero.
//   - Covariates (Input.Covariates) run past the history with their
//     planned values. The regression candidates use them as features and
//     arima and auto_arima as regressors with ARIMA errors; each records
//     the covariates it learnt from, reads their future values when it
//     forecasts, and stands in a covariate's training mean for a step
//     whose value is missing. The other candidates ignore covariates.
//
// The registry (Spec, Registry, Standard) and the small time-series
// methods (baselines, SES, Theta, the intermittent-demand methods) live
// in this package. The larger algorithms have packages of their own,
// which know nothing of the registry: models/ets (exponential smoothing
// as R's ets), models/arima (ARIMA and auto.arima) and models/ml
// (regressors on the feature matrix). Each is wrapped into Forecasters
// here (ets.go, arima.go, regression.go), which parse the hyperparameters
// at this edge, window the history and map the package's errors to
// ErrTooShort and ErrUnsuitable.
package models
