// Package ets fits exponential smoothing models in the innovations
// state-space framework of Hyndman, Koehler, Ord and Snyder (2008),
// following R's forecast::ets (version 8.20) closely enough to reproduce
// its estimates, its choice of form and its forecasts.
//
// # Forms
//
// A Form names the error, trend and season types (None, Add, Mul) and
// whether the trend is damped, as R's short names do ("MAdM"; ParseForm,
// Form.String, and Form.Method for R's "ETS(M,Ad,M)").
//
// # Estimation
//
// FitForm estimates one form as R's etsmodel does: R's starting values
// (initparam, and initstate's classical decomposition), then Nelder–Mead
// (a transcription of R's nmmin, so that it walks R's path) over the
// smoothing parameters and initial states together, minimising the
// Criterion inside R's parameter region: the usual bounds intersected
// with the admissible region, which is tested by a Schur–Cohn recursion
// instead of R's polynomial roots. Fit runs FitForm over every form that
// Settings.Model allows and R's rules admit for the series, and returns
// the lowest AICc.
//
// The objective is one pass of the state recursion. It dominates the cost
// (up to 2,000 passes per form), so the recursion keeps the seasonal
// states in a ring buffer, is rearranged for a short dependency chain,
// has loops specialised for the common forms, allocates nothing and
// stops a pass once it is known to be worse than Nelder–Mead's threshold.
// Results equal R's up to rounding.
//
// # Models
//
// An Estimate embeds the fitted Model: form, parameters and initial
// state. Model.Forecast re-runs the recursion over a history (possibly
// longer than the estimation one, which refreshes the state without
// re-estimating) and returns R's forecast means.
//
// Package models wraps Fit as the registry's exponential smoothing
// candidates and maps ErrTooShort and ErrUnsuitable to its own errors.
package ets
