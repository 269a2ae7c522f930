// Package data holds forecastd's domain types (series keys, frequencies,
// observations and regular series), the parsers for uploaded sales and
// planned covariates (CSV and NDJSON), the deterministic demo data
// generator, and the SQL store that keeps sales, planned covariates, jobs,
// kept models and forecasts. Planned covariates (plan.go) are covariate
// values known ahead of the sales, such as a promotion calendar; loading
// a series extends its covariate columns past the history with them.
//
// It is the bottom of the import graph: data → features → models →
// forecast → jobs → api → cmd. Nothing here imports another forecastd
// package.
package data
