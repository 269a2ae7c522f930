// Package ingest is forecastd's one ingestion path: it parses uploaded
// sales and planned covariates (CSV and NDJSON), with one definition of
// dates, quantities, identifiers, covariate values and names, and
// assembles observations into regular series. The API, `forecastd train`
// and `forecastd features` all read through it, so a row accepted by one
// is accepted by all, and a refused row is refused in the same words.
//
// Parsers stream: they hand each accepted row to a callback and collect
// row errors (up to MaxRowErrors) into a *ParseError, so a caller can
// refuse a whole upload with every problem named by line.
//
// The pieces, from the bottom up:
//   - rules.go and date.go: the rules for one value (ParseDate accepts
//     YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS and YYYY-MM-DD HH:MM:SS, as UTC).
//   - CSVReader: the CSV row reader. It reads a row without allocating,
//     for readers of large files; ParseCSV and ParseCovariatesCSV are
//     built on it.
//   - Columns: the rows of one series in columns, and Grid, the one
//     assembly onto a frequency's grid (Assemble is built on it);
//     InferFrequency, the one guess of an upload's frequency.
//   - ReadUpload: a whole sales CSV into Columns, a large file read in
//     parallel sections, for the command line.
package ingest
