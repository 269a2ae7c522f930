// Package data holds forecastd's domain types (series keys, frequencies,
// observations and regular series), the parsers for uploaded sales
// (CSV and NDJSON), the deterministic demo data generator, and the SQL
// store that keeps sales, jobs, kept models and forecasts.
//
// It is the bottom of the import graph: data → features → models →
// forecast → jobs → api → cmd. Nothing here imports another forecastd
// package.
package data
