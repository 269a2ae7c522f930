package ingest

// The limits of an upload, in one place: every resource a client
// controls through the content of a file is bounded here, and a refusal
// names the limit and its value.
const (
	// MaxLineBytes bounds one line of a CSV or NDJSON upload (and one CSV
	// record, when a quoted field spans lines). encoding/csv would buffer
	// a whole record, so the reader underneath stops at the limit: a
	// 200 MB line costs a megabyte, not the line.
	MaxLineBytes = 1 << 20
	// MaxColumns bounds the columns of a CSV header.
	MaxColumns = 256
	// MaxCovariates bounds the distinct covariate names of one upload:
	// each becomes a feature column of every regression candidate that
	// trains on the series, so a wide upload is almost certainly a
	// mistake (a transposed file) and would multiply the training cost.
	MaxCovariates = 64
	// MaxMagnitude bounds the absolute value of a quantity or covariate
	// value: no sales figure comes near it, and squares and sums of
	// values past it overflow what the models and charts compute.
	MaxMagnitude = 1e15
	// MaxIDBytes bounds store and SKU identifiers and covariate names.
	MaxIDBytes = 128
	// MaxDateFormatBytes bounds a date format (Options.DateFormat): a
	// format is walked for every row.
	MaxDateFormatBytes = 64
	// MaxRowErrors is how many row errors a parse collects before it
	// stops reading: enough to show a pattern, few enough to read.
	MaxRowErrors = 10
)
