package sqlstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// The limits below bound what one stored series may be, so that
// assembling it (a float64 per step, per covariate) costs a bounded
// amount of memory whatever a client uploads. Uploads that would break
// them are refused (Ingest, IngestCovariates); a series stored before
// the limits existed that breaks them is excluded from jobs with a
// warning and read as an *UnassemblableError.
const (
	// MinDateUnix and MaxDateUnix bound the dates of a stored row: the
	// parser's limits (ingest), checked again against what is stored,
	// which may predate them.
	MinDateUnix = ingest.MinDateUnix
	MaxDateUnix = ingest.MaxDateUnix
	// MaxSeriesYears bounds the span from a series' first to last sale,
	// at daily, weekly and monthly frequency: 36,525 daily points.
	MaxSeriesYears = 100
	// MaxHourlySeriesYears bounds the span of an hourly series: 43,830
	// points.
	MaxHourlySeriesYears = 5
	// MaxSeriesCovariates bounds the distinct covariate names of one
	// series, over its sales rows and its planned values, across every
	// upload: each is a column as long as the series in every regression
	// candidate. It is the per-upload bound of the parsers.
	MaxSeriesCovariates = ingest.MaxCovariates
)

// Limit dates as the messages show them.
const (
	minDateText = "1900-01-01"
	maxDateText = "2200-01-01"
)

// MaxSeriesPoints is the most points a series of frequency f may span
// (MaxSeriesYears, or MaxHourlySeriesYears when hourly).
func MaxSeriesPoints(f data.Frequency) int {
	// Days in a hundred years, so that the counts stay integers.
	const daysPerCentury = 36525
	switch f {
	case data.Hourly:
		return MaxHourlySeriesYears * daysPerCentury * 24 / 100
	case data.Weekly:
		return (MaxSeriesYears*daysPerCentury/100 + 6) / 7
	case data.Monthly:
		return MaxSeriesYears * 12
	default:
		return MaxSeriesYears * daysPerCentury / 100
	}
}

// ErrUnassemblable marks a stored series that cannot be made a regular
// series: dates out of range, no common spacing, rows off its grid, a
// span or a covariate count past the limits. Errors reading such a series
// wrap it (as an *UnassemblableError).
var ErrUnassemblable = errors.New("data: series cannot be assembled")

// UnassemblableError names a series that cannot be assembled and why.
type UnassemblableError struct {
	Key    data.Key
	Reason string
}

func (e *UnassemblableError) Error() string {
	return fmt.Sprintf("data: series %s cannot be assembled: %s", e.Key, e.Reason)
}

// Is makes errors.Is(err, ErrUnassemblable) hold.
func (e *UnassemblableError) Is(target error) bool { return target == ErrUnassemblable }

// checkDate reports a date outside [MinDateUnix, MaxDateUnix].
func checkDate(ts int64) error {
	if ts < MinDateUnix || ts > MaxDateUnix {
		return fmt.Errorf("date %s is outside %s to %s", formatTS(ts), minDateText, maxDateText)
	}
	return nil
}

// formatTS writes a stored date as uploads give it.
func formatTS(ts int64) string {
	t := time.Unix(ts, 0).UTC()
	if ts%86400 == 0 {
		return t.Format(ingest.DateLayout)
	}
	return t.Format(ingest.DateTimeLayout)
}

// spanPoints is the number of points of frequency f from first to last
// (inclusive), counted without time.Duration, which overflows past 292
// years. Both dates must be within the date limits.
func spanPoints(f data.Frequency, first, last int64) int64 {
	switch f {
	case data.Hourly:
		return (last-first)/3600 + 1
	case data.Weekly:
		return (last-first)/(7*86400) + 1
	case data.Monthly:
		a, b := time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		return int64((b.Year()-a.Year())*12+int(b.Month())-int(a.Month())) + 1
	default:
		return (last-first)/86400 + 1
	}
}

// checkSpan reports a series of frequency f from first to last that
// would have more points than MaxSeriesPoints(f).
func checkSpan(f data.Frequency, first, last int64) error {
	if n, limit := spanPoints(f, first, last), MaxSeriesPoints(f); n > int64(limit) {
		return fmt.Errorf("%s to %s is %d %s points, more than the limit of %d", formatTS(first), formatTS(last), n, f, limit)
	}
	return nil
}

// errTooManyCovariates is the reason a series with more than
// MaxSeriesCovariates covariates is refused. Counting stops past the
// limit, so the count is not given.
var errTooManyCovariates = fmt.Errorf("more than %d covariates, the limit per series", MaxSeriesCovariates)
