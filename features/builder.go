package features

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Stat is a rolling-window statistic.
type Stat string

// The rolling statistics the builder knows.
const (
	Min    Stat = "min"
	Max    Stat = "max"
	Mean   Stat = "mean"
	Std    Stat = "std"
	Sum    Stat = "sum"
	Median Stat = "median"
	Zeros  Stat = "zeros" // count of zero values in the window
)

// Config selects the feature set. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// Lags are the lags of y, in steps (lag_k = y[t-k]).
	Lags []int
	// Windows are the rolling window lengths, in steps; each Stat is
	// computed over each window of y[t-w:t] with min_periods 1.
	Windows []int
	Stats   []Stat
	// YearAgo adds y at the frequency's YearLag (same period last year).
	YearAgo bool
	// Calendar adds day of week, day of month, week of year and month of
	// the target date.
	Calendar bool
}

// DefaultConfig is the feature set of the end-to-end pipeline.
func DefaultConfig() Config {
	return Config{
		Lags:     []int{1, 7, 14, 28},
		Windows:  []int{7, 28},
		Stats:    []Stat{Min, Max, Mean, Std},
		YearAgo:  true,
		Calendar: true,
	}
}

// Builder computes feature rows. It keeps scratch buffers, so one Builder
// must not be used by two goroutines at once; make one per worker.
type Builder struct {
	cfg   Config
	names []string
}

// NewBuilder validates cfg and returns a Builder.
func NewBuilder(cfg Config) (*Builder, error) {
	b := &Builder{cfg: cfg}
	for _, k := range cfg.Lags {
		if k < 1 {
			return nil, fmt.Errorf("features: lag %d must be >= 1", k)
		}
		b.names = append(b.names, fmt.Sprintf("lag_%d", k))
	}
	for _, w := range cfg.Windows {
		if w < 1 {
			return nil, fmt.Errorf("features: window %d must be >= 1", w)
		}
		for _, s := range cfg.Stats {
			switch s {
			case Min, Max, Mean, Std, Sum, Median, Zeros:
			default:
				return nil, fmt.Errorf("features: unknown statistic %q", s)
			}
			b.names = append(b.names, fmt.Sprintf("roll_%s_%d", s, w))
		}
	}
	if cfg.YearAgo {
		b.names = append(b.names, "year_ago")
	}
	if cfg.Calendar {
		b.names = append(b.names, "day_of_week", "day_of_month", "week_of_year", "month")
	}
	return b, nil
}

// Names returns the column names, in order.
func (b *Builder) Names() []string { return b.names }

// NumFeatures is the number of columns.
func (b *Builder) NumFeatures() int { return len(b.names) }

// Matrix writes the rows for targets t in [from, to) into dst (row-major,
// (to-from)*NumFeatures() values; dst is grown if short) and returns it.
// Row t uses y[:t] only; values that are undefined (a lag before the start
// of the series, an empty window) are NaN.
func (b *Builder) Matrix(dst, y []float64, start time.Time, freq data.Frequency, from, to int) []float64 {
	if from < 0 || to > len(y)+1 || from > to {
		panic(fmt.Sprintf("features: rows [%d,%d) out of range for %d values", from, to, len(y)))
	}
	p := len(b.names)
	n := (to - from) * p
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for t := from; t < to; t++ {
		b.row(dst[(t-from)*p:(t-from+1)*p], y[:t], freq.Add(start, t), freq)
	}
	return dst
}

// Row writes the feature row for the target one step after the end of y.
func (b *Builder) Row(dst, y []float64, start time.Time, freq data.Frequency) []float64 {
	p := len(b.names)
	if cap(dst) < p {
		dst = make([]float64, p)
	}
	dst = dst[:p]
	b.row(dst, y, freq.Add(start, len(y)), freq)
	return dst
}

// row is the straightforward O(w) per statistic definition; it is the
// reference the fast kernels are checked against.
func (b *Builder) row(dst, hist []float64, date time.Time, freq data.Frequency) {
	j := 0
	t := len(hist)
	for _, k := range b.cfg.Lags {
		if t-k >= 0 {
			dst[j] = hist[t-k]
		} else {
			dst[j] = math.NaN()
		}
		j++
	}
	for _, w := range b.cfg.Windows {
		lo := t - w
		if lo < 0 {
			lo = 0
		}
		win := hist[lo:t]
		for _, s := range b.cfg.Stats {
			dst[j] = windowStat(s, win)
			j++
		}
	}
	if b.cfg.YearAgo {
		k := freq.YearLag()
		if t-k >= 0 {
			dst[j] = hist[t-k]
		} else {
			dst[j] = math.NaN()
		}
		j++
	}
	if b.cfg.Calendar {
		_, week := date.ISOWeek()
		dst[j] = float64(date.Weekday())
		dst[j+1] = float64(date.Day())
		dst[j+2] = float64(week)
		dst[j+3] = float64(date.Month())
	}
}

func windowStat(s Stat, win []float64) float64 {
	var n int
	var sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	zeros := 0
	for _, v := range win {
		if math.IsNaN(v) {
			continue
		}
		n++
		sum += v
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
		if v == 0 {
			zeros++
		}
	}
	if n == 0 {
		if s == Sum || s == Zeros {
			return 0
		}
		return math.NaN()
	}
	mean := sum / float64(n)
	switch s {
	case Min:
		return lo
	case Max:
		return hi
	case Mean:
		return mean
	case Sum:
		return sum
	case Zeros:
		return float64(zeros)
	case Std:
		if n < 2 {
			return math.NaN()
		}
		var ss float64
		for _, v := range win {
			if !math.IsNaN(v) {
				ss += (v - mean) * (v - mean)
			}
		}
		return math.Sqrt(ss / float64(n-1))
	case Median:
		vals := make([]float64, 0, n)
		for _, v := range win {
			if !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		sort.Float64s(vals)
		if n%2 == 1 {
			return vals[n/2]
		}
		return (vals[n/2-1] + vals[n/2]) / 2
	}
	return math.NaN()
}
