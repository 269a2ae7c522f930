package data

import (
	"fmt"
	"time"
)

// Frequency is the spacing of a regular series.
type Frequency string

// The frequencies forecastd understands.
const (
	Hourly  Frequency = "hourly"
	Daily   Frequency = "daily"
	Weekly  Frequency = "weekly"
	Monthly Frequency = "monthly"
)

// ParseFrequency accepts the names above and the pandas-style aliases H, D, W, M.
func ParseFrequency(s string) (Frequency, error) {
	switch s {
	case "hourly", "H", "h":
		return Hourly, nil
	case "daily", "D", "d":
		return Daily, nil
	case "weekly", "W", "w":
		return Weekly, nil
	case "monthly", "M", "m", "MS":
		return Monthly, nil
	}
	return "", fmt.Errorf("data: unknown frequency %q (want hourly, daily, weekly or monthly)", s)
}

// Add returns t moved by n steps of f.
func (f Frequency) Add(t time.Time, n int) time.Time {
	switch f {
	case Hourly:
		return t.Add(time.Duration(n) * time.Hour)
	case Weekly:
		return t.AddDate(0, 0, 7*n)
	case Monthly:
		return t.AddDate(0, n, 0)
	default:
		return t.AddDate(0, 0, n)
	}
}

// Steps returns the number of whole steps of f from a to b (b >= a), and
// whether b lies exactly on the grid that starts at a.
func (f Frequency) Steps(a, b time.Time) (int, bool) {
	switch f {
	case Hourly:
		d := b.Sub(a)
		return int(d / time.Hour), d%time.Hour == 0
	case Weekly:
		d := daysBetween(a, b)
		return d / 7, d%7 == 0
	case Monthly:
		n := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
		return n, f.Add(a, n).Equal(b)
	default:
		d := b.Sub(a)
		return daysBetween(a, b), d%(24*time.Hour) == 0
	}
}

func daysBetween(a, b time.Time) int {
	return int(b.Sub(a).Round(time.Hour) / (24 * time.Hour))
}

// StepSeconds is the length of one step in seconds for the fixed-length
// frequencies (hourly, daily, weekly), and 0 for months, whose length
// varies: dates stored as UTC seconds are then on a grid when their
// differences divide by it.
func (f Frequency) StepSeconds() int64 {
	switch f {
	case Hourly:
		return 3600
	case Daily:
		return 86400
	case Weekly:
		return 7 * 86400
	}
	return 0
}

// DefaultSeason is the season length used when none is given: a day of
// hours, a week of days, a year of weeks, a year of months.
func (f Frequency) DefaultSeason() int {
	switch f {
	case Hourly:
		return 24
	case Weekly:
		return 52
	case Monthly:
		return 12
	default:
		return 7
	}
}

// YearLag is the lag, in steps, of "the same period last year": 364 days
// for daily data (so the weekday matches), 52 weeks, 12 months, and the
// season for hourly data.
func (f Frequency) YearLag() int {
	switch f {
	case Daily:
		return 364
	case Weekly:
		return 52
	case Monthly:
		return 12
	default:
		return f.DefaultSeason()
	}
}

// Layout is the date layout used when writing dates of this frequency.
func (f Frequency) Layout() string {
	if f == Hourly {
		return "2006-01-02T15:04:05"
	}
	return "2006-01-02"
}

// InferFrequency guesses the frequency from sorted, distinct dates by the
// most common gap between neighbours.
func InferFrequency(dates []time.Time) (Frequency, error) {
	if len(dates) < 2 {
		return "", fmt.Errorf("data: need at least two dates to infer a frequency, have %d", len(dates))
	}
	counts := map[Frequency]int{}
	for i := 1; i < len(dates); i++ {
		d := dates[i].Sub(dates[i-1])
		switch {
		case d == time.Hour:
			counts[Hourly]++
		case d == 24*time.Hour:
			counts[Daily]++
		case d == 7*24*time.Hour:
			counts[Weekly]++
		case d >= 28*24*time.Hour && d <= 31*24*time.Hour:
			counts[Monthly]++
		}
	}
	best, n := Frequency(""), 0
	for _, f := range []Frequency{Hourly, Daily, Weekly, Monthly} {
		if counts[f] > n {
			best, n = f, counts[f]
		}
	}
	if n == 0 {
		return "", fmt.Errorf("data: cannot infer a frequency: no gaps of an hour, a day, a week or a month between dates")
	}
	return best, nil
}

// Key names one series: a SKU in a store.
type Key struct {
	Store string `json:"store"`
	SKU   string `json:"sku"`
}

func (k Key) String() string { return k.Store + "/" + k.SKU }

// Less orders keys by store, then SKU.
func (k Key) Less(o Key) bool {
	if k.Store != o.Store {
		return k.Store < o.Store
	}
	return k.SKU < o.SKU
}

// Observation is one row of sales history.
type Observation struct {
	Date     time.Time
	Key      Key
	Quantity float64
	// Covariates holds the extra numeric columns of the upload, by name.
	// Nil when there are none.
	Covariates map[string]float64
	// Line is the line of the upload the row came from (0 when it did
	// not come from an upload); it is not stored.
	Line int
	// Attributes holds the series' attributes given with the row (text
	// columns declared as attributes, such as M5's dept_id), by name;
	// nil when none. A reader sets it on the first row of each series
	// only: attributes are per series, not per date.
	Attributes map[string]string
}

// Attribute is a constant property of a series (an M5-style dept or
// category, a store's state): reconciliation groups series by it.
type Attribute struct {
	Key         Key
	Name, Value string
	// Line is the line of the upload it came from (0 when not known).
	Line int
}

// Series is a regular series of one store/SKU: Values[i] is the quantity
// at Freq.Add(Start, i). Dates with no row are zero-filled when a series
// is assembled (no row means nothing was sold), and Covariates are aligned
// the same way (missing covariate values are NaN). A covariate column may
// be longer than Values: its entries from len(Values) on are planned
// values for the dates after the last point (AddPlanned), NaN where
// nothing is planned.
type Series struct {
	Key        Key
	Freq       Frequency
	Start      time.Time
	Values     []float64
	Covariates map[string][]float64
}

// Len is the number of points.
func (s *Series) Len() int { return len(s.Values) }

// End is the date of the last point.
func (s *Series) End() time.Time { return s.Freq.Add(s.Start, len(s.Values)-1) }

// Date returns the date of point i.
func (s *Series) Date(i int) time.Time { return s.Freq.Add(s.Start, i) }

// Each is a row source over obs, in order: the shape a store's Ingest
// reads (parsers produce the same from a stream), for rows already in
// memory such as the demo data.
func Each(obs []Observation) func(fn func(Observation) error) error {
	return func(fn func(Observation) error) error {
		for _, o := range obs {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	}
}
