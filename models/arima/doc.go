// Package arima fits seasonal ARIMA(p,d,q)(P,D,Q)m models and selects their
// orders automatically, following R's stats::arima and forecast::auto.arima.
//
// Fit estimates one model of a given Order the way stats::arima does with
// method "CSS-ML": a conditional-sum-of-squares fit gives starting values,
// then the exact Gaussian likelihood of the state-space form (Gardner et
// al. 1980; Durbin and Koopman 2001) is maximised by R's BFGS variant with
// the AR parts reparameterised through partial autocorrelations so that
// they stay stationary. Differencing is carried in the state vector with a
// diffuse prior (variance Kappa), exactly as R does, so likelihoods and
// coefficients are comparable with R's to optimiser precision.
//
// Auto selects d by repeated KPSS tests, D by a seasonal-strength test and
// p, q, P, Q by the Hyndman-Khandakar stepwise search on AICc, with R's
// defaults and its CSS approximation for long or highly seasonal series.
//
// A Model is plain data: it marshals with encoding/json, forecasts with
// Forecast and can be re-run over a longer history of the same series
// with Refilter, which updates the Kalman state without re-estimating.
package arima
