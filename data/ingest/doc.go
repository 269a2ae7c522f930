// Package ingest is forecastd's one ingestion path: it parses uploaded
// sales and planned covariates (CSV and NDJSON), with one definition of
// dates, quantities, identifiers and covariate names, and assembles
// observations into regular series. The API, `forecastd train` and
// `forecastd features` all read through it, so a row accepted by one is
// accepted by all.
//
// Parsers stream: they hand each accepted row to a callback and collect
// row errors (up to MaxRowErrors) into a *ParseError, so a caller can
// refuse a whole upload with every problem named by line.
package ingest
