// Package data holds forecastd's domain types: series keys, frequencies,
// observations (one row of sales or of a plan) and regular series with
// their covariate columns, including the rule that extends those columns
// past the history with planned values (AddPlanned).
//
// It is the leaf of the import graph and imports only the standard
// library, so features, models and forecast, which import it, carry no
// storage, queue or HTTP code. Its subpackages do the rest of the data
// work: ingest parses uploads and assembles series, sqlstore keeps them
// in SQLite or PostgreSQL, demo generates the demo data set.
package data
