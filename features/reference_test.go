package features

import (
	"math"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
)

// This file keeps the original O(n*w) implementation as the brute-force
// oracle of the property tests: every statistic is recomputed from the
// window's values by its textbook definition (two-pass variance, a full
// sort for medians), with pandas' NaN and min_periods rules.

// refRow is the straightforward definition of Builder.Row for target
// len(hist): the reference the fast kernels are checked against.
func refRow(cfg Config, dst, hist []float64, cov map[string][]float64, date time.Time, freq data.Frequency) {
	j := 0
	t := len(hist)
	for _, k := range cfg.Lags {
		if t-k >= 0 {
			dst[j] = hist[t-k]
		} else {
			dst[j] = math.NaN()
		}
		j++
	}
	for _, w := range cfg.Windows {
		lo := max(t-w, 0)
		win := hist[lo:t]
		for _, s := range cfg.Stats {
			dst[j] = windowStat(s, win, 1)
			j++
		}
		for _, q := range cfg.Quantiles {
			dst[j] = refQuantile(win, 1, q)
			j++
		}
	}
	for _, a := range cfg.EWMAlphas {
		e := refEWM(EWM{Alpha: a, Adjust: true, MinPeriods: 1}, hist)
		dst[j] = math.NaN()
		if t > 0 {
			dst[j] = e[t-1]
		}
		j++
	}
	if cfg.Expanding {
		dst[j] = windowStat(Mean, hist, 1)
		j++
	}
	if cfg.YearAgo {
		k := freq.YearLag()
		if t-k >= 0 {
			dst[j] = hist[t-k]
		} else {
			dst[j] = math.NaN()
		}
		j++
	}
	if cfg.Calendar {
		_, week := date.ISOWeek()
		dst[j] = float64(date.Weekday())
		dst[j+1] = float64(date.Day())
		dst[j+2] = float64(week)
		dst[j+3] = float64(date.Month())
		j += 4
	}
	for _, c := range cfg.Covariates {
		dst[j] = math.NaN()
		if col := cov[c]; t < len(col) {
			dst[j] = col[t]
		}
		j++
	}
	if cfg.FillNaN {
		for i := range dst[:j] {
			if math.IsNaN(dst[i]) {
				dst[i] = 0
			}
		}
	}
}

// observed returns the non-NaN values of win.
func observed(win []float64) []float64 {
	var vals []float64
	for _, v := range win {
		if !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	return vals
}

// windowStat is a statistic of one window by definition, with pandas'
// min_periods: fewer than minp observations, or none, give NaN, except a
// sum or zero count of nothing with minp 0, which is 0.
func windowStat(s Stat, win []float64, minp int) float64 {
	vals := observed(win)
	n := len(vals)
	if n < minp || (n == 0 && minp > 0) {
		return math.NaN()
	}
	switch s {
	case Sum, Zeros:
		var sum float64
		zeros := 0
		for _, v := range vals {
			sum += v
			if v == 0 {
				zeros++
			}
		}
		if s == Zeros {
			return float64(zeros)
		}
		return sum
	}
	if n == 0 {
		return math.NaN()
	}
	var sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		sum += v
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	mean := sum / float64(n)
	switch s {
	case Min:
		return lo
	case Max:
		return hi
	case Mean:
		return mean
	case Std, Var:
		if n < 2 {
			return math.NaN()
		}
		var ss float64
		for _, v := range vals {
			ss += (v - mean) * (v - mean)
		}
		if s == Var {
			return ss / float64(n-1)
		}
		return math.Sqrt(ss / float64(n-1))
	case Median:
		sort.Float64s(vals)
		if n%2 == 1 {
			return vals[n/2]
		}
		return (vals[n/2-1] + vals[n/2]) / 2
	}
	return math.NaN()
}

func refQuantile(win []float64, minp int, q float64) float64 {
	vals := observed(win)
	n := len(vals)
	if n == 0 || n < minp {
		return math.NaN()
	}
	sort.Float64s(vals)
	f := q * float64(n-1)
	k := math.Floor(f)
	if int(k) == n-1 {
		return vals[n-1]
	}
	return vals[int(k)] + (vals[int(k)+1]-vals[int(k)])*(f-k)
}

// refRolling applies a window statistic at every index.
func refRolling(x []float64, w, minp int, f func(win []float64, minp int) float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = f(x[max(0, i-w+1):i+1], minp)
	}
	return out
}

// refEWM is the exponentially weighted mean by its definition as a
// weighted average: with adjust, weights (1-alpha)^age over observations,
// where a NaN ages the older observations unless ignoreNA; without adjust,
// the recursion m = (1-alpha) m + alpha x with pandas' NaN rules.
func refEWM(e EWM, x []float64) []float64 {
	out := make([]float64, len(x))
	minp := max(e.MinPeriods, 1)
	nobs := 0
	for i := range x {
		if !math.IsNaN(x[i]) {
			nobs++
		}
		if nobs < minp || nobs == 0 {
			out[i] = math.NaN()
			continue
		}
		if e.Adjust {
			var num, den float64
			age := 0.0
			for j := i; j >= 0; j-- {
				if !math.IsNaN(x[j]) {
					wt := math.Pow(1-e.Alpha, age)
					num += wt * x[j]
					den += wt
					age++
				} else if !e.IgnoreNA {
					age++
				}
			}
			// A NaN before the first observation does not age anything.
			out[i] = num / den
			if den == 0 {
				// alpha 1 after a NaN: every weight is 0^age; the limit
				// (and pandas) is the last observation.
				for j := i; j >= 0; j-- {
					if !math.IsNaN(x[j]) {
						out[i] = x[j]
						break
					}
				}
			}
			continue
		}
		// Without adjust the weights are alpha(1-alpha)^age for all but
		// the oldest observation, which keeps (1-alpha)^age.
		var m float64
		started := false
		gap := 0
		for j := 0; j <= i; j++ {
			if math.IsNaN(x[j]) {
				if started {
					gap++
				}
				continue
			}
			if !started {
				m, started = x[j], true
				continue
			}
			old := 1.0
			for range gap + 1 {
				old *= 1 - e.Alpha
			}
			if e.IgnoreNA {
				old = 1 - e.Alpha
			}
			m = (old*m + e.Alpha*x[j]) / (old + e.Alpha)
			gap = 0
		}
		out[i] = m
	}
	return out
}
