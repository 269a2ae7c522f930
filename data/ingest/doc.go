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
// A file goes in as exported: Options map its columns, give a constant
// for a key it lacks, name its date format and say what a negative
// quantity does (NegativePolicy); the delimiter, an index column, text
// columns and the date format are detected from the file, and a Report
// says what was found. Every resource a file's content controls is
// bounded by a constant of limits.go, named in the refusal.
//
// The pieces, from the bottom up:
//   - limits.go: the limits of an upload.
//   - rules.go and date.go: the rules for one value (ParseDate accepts
//     YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS and YYYY-MM-DD HH:MM:SS, as UTC:
//     the hot path, without allocating).
//   - dateformat.go: DateFormat, a compiled strftime subset, and the
//     detection of an upload's format among the common ones, decided
//     once per upload.
//   - options.go and sniff.go: Options and Report, and what the
//     beginning of a CSV upload decides (delimiter, columns, date
//     format), reading the whole date column first only when it must.
//   - CSVReader: the CSV row reader. It reads a row without allocating,
//     for readers of large files; ParseCSV and ParseCovariatesCSV are
//     built on it.
//   - Columns: the rows of one series in columns, and Grid, the one
//     assembly onto a frequency's grid (Assemble is built on it);
//     InferFrequency, the one guess of an upload's frequency.
//   - ReadUpload: a whole sales CSV into Columns, a large file read in
//     parallel sections, for the command line.
package ingest
