// Package arima fits seasonal ARIMA(p,d,q)(P,D,Q)m models and selects their
// orders automatically, following R's stats::arima and forecast::auto.arima
// (forecast 8.20) closely enough to reproduce their choices and numbers.
//
// # Fitting
//
// Fit estimates one model of a given Order as stats::arima does with
// method "CSS-ML": a conditional-sum-of-squares fit gives starting values,
// then the exact Gaussian likelihood is maximised. The optimiser is a
// translation of R's optim(method = "BFGS") (Nash's vmmin) with optim's
// central-difference gradients and parameter scaling, and the AR parts
// are reparameterised through partial autocorrelations (R's
// transform.pars) so that they stay stationary; non-invertible MA
// estimates are reflected as R does. A mean (d+D = 0) or drift (d+D = 1)
// is estimated as a regression coefficient. The coefficient covariance
// comes from the numerical Hessian as in R.
//
// The likelihood differs from R's in how it is computed, not in what it
// is. R filters the undifferenced series with the differences in the
// state vector and a diffuse prior of variance 1e6, using the Riccati
// (covariance) form of the Kalman filter and Gardner et al.'s (1980)
// stationary covariance, both O(r^2) or worse per step for a state of
// dimension r (r = 26 for an SMA(1) term with m = 24, plus 24 states for
// the seasonal difference). Here the optimiser sees the exact likelihood
// of the differenced series (which R's equals to O(1/kappa)), computed by
// the Chandrasekhar recursions, O(r) per step, from a stationary
// covariance derived from the autocovariances. R's diffuse filter is run
// once, at the estimate, to set the state forecasts start from. Tested
// against R: coefficients agree to about 1e-4 and log-likelihoods to
// about 1e-5 relative.
//
// # Choosing the order
//
// Auto follows auto.arima's defaults: D by the seasonal strength of an STL
// decomposition (forecast's default seasonal.test = "seas", with R's STL
// translated), d by repeated KPSS tests at the 5% level, then the
// Hyndman-Khandakar stepwise search over p, q, P, Q and the constant by
// AICc, with the CSS approximation for series longer than 150 points or
// seasons longer than 12 followed by exact refits in order of the
// approximate AICc. Candidates with AR or MA roots within 1.01 of the unit
// circle or with a singular or indefinite Hessian are rejected as R
// rejects them; the Hessian is only computed for candidates that could be
// chosen, which saves time and changes no choice.
//
// # Regressors
//
// FitXReg and AutoXReg fit a regression with ARIMA errors, as R's
// Arima(y, order, seasonal, xreg = X) and auto.arima(y, xreg = X). The
// parameter vector is R's: the ARMA coefficients, then the mean or
// drift, then one coefficient per regressor column. As in R, the
// regression starts from least squares on the differenced series, two
// or more regression columns (the mean or drift counts) are rotated by
// the right singular vectors of their matrix while optimising and
// rotated back after, and both objectives subtract the differenced
// regression from the differenced series, into scratch, before the same
// CSS kernels and likelihood run. AutoXReg runs the differencing tests on
// the residuals of a regression of y on the regressors and includes the
// regressors in every candidate. Forecasts need the regressors' future
// values (ForecastXReg) and a refilter their history (RefilterXReg).
// Tested against R 4.2.2 / forecast 8.20 on daily and hourly series with
// promotion, price and event covariates (testdata/make_golden_xreg.R):
// coefficients, log-likelihoods and forecasts agree to about 1e-5
// relative, and auto.arima's choices agree.
//
// # Models
//
// A Model is plain data: it marshals with encoding/json, forecasts with
// Forecast and can be re-run over a longer history of the same series
// with Refilter, which updates the Kalman state without re-estimating.
package arima
