package ingest

import (
	"fmt"
	"time"
)

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
	// MinDateUnix is the earliest date a row may carry, 1900-01-01
	// (UTC), in Unix seconds: retail history does not go further back,
	// and a year 0000 or 0001 is a typo or a placeholder.
	MinDateUnix int64 = -2208988800
	// MaxDateUnix is the latest date a row may carry, 2200-01-01T00:00:00
	// (UTC), in Unix seconds: far past any plan (9999-12-31 is a
	// placeholder), near enough that spans stay countable.
	MaxDateUnix int64 = 7258118400
)

// dateInRange refuses a date (Unix seconds) outside MinDateUnix to
// MaxDateUnix, naming the limit: such a row could never be assembled
// into a series (the store refuses it too), so the parser, which every
// reader of uploads shares, refuses it first.
func dateInRange(sec int64) error {
	if sec < MinDateUnix || sec > MaxDateUnix {
		return fmt.Errorf("date %s is outside 1900-01-01 to 2200-01-01 (limits MinDateUnix, MaxDateUnix)",
			time.Unix(sec, 0).UTC().Format(DateTimeLayout))
	}
	return nil
}
