package features

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

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
	Var    Stat = "var" // sample variance, ddof 1
	Sum    Stat = "sum"
	Median Stat = "median"
	Zeros  Stat = "zeros" // count of zero values in the window
)

// known reports whether s is one of the statistics above.
func (s Stat) known() bool {
	switch s {
	case Min, Max, Mean, Std, Var, Sum, Median, Zeros:
		return true
	}
	return false
}

// Config selects the feature set. The zero value is not useful; start from
// DefaultConfig. FEATURES.md gives the pandas definition of every column.
type Config struct {
	// Lags are the lags of y, in steps (lag_k = y[t-k]).
	Lags []int
	// Windows are the rolling window lengths, in steps; each Stat is
	// computed over each window of y[t-w:t] with min_periods 1, as
	// roll_<stat>_<w>.
	Windows []int
	Stats   []Stat
	// Quantiles adds, for each window, the rolling q-quantile with linear
	// interpolation, as roll_q<100q>_<w> (roll_q90_28 for q 0.9).
	Quantiles []float64
	// EWMAlphas adds, for each alpha in (0, 1], the exponentially weighted
	// mean of y[:t] (pandas' ewm(alpha, adjust=True)), as ewm_<alpha>.
	// Unlike the windows, it reads the whole history, so Row costs
	// O(len(y)) when it is set.
	EWMAlphas []float64
	// Expanding adds expanding_mean, the mean of y[:t]; O(len(y)) in Row.
	Expanding bool
	// YearAgo adds y at the frequency's YearLag (same period last year).
	YearAgo bool
	// Calendar adds day of week (Sunday 0, as time.Weekday), day of
	// month, ISO week of year and month of the target date.
	Calendar bool
	// Covariates are columns of known-in-advance regressors (holiday or
	// promotion flags, prices) copied as features at the target date,
	// under their own names. Matrix and Row, which take no covariates,
	// leave them NaN.
	Covariates []string
	// FillNaN replaces every undefined feature (NaN: a lag before the
	// start, an empty window, a missing covariate) by 0, for learners
	// that cannot take NaN.
	FillNaN bool
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

// SeasonalConfig adapts the default feature set to a season of m steps:
// the lags and windows of DefaultConfig are a week's multiples, right for
// daily data (m = 7, where it returns DefaultConfig) but meaningless for
// hourly data, where the same hour yesterday (lag 24) carries the signal.
// For 2 <= m <= 24 the lags are 1, 2, m, 2m and 4m and the windows m and
// 4m; for longer seasons (52 weeks) lags 1, 2, 4 and m and windows 4 and m.
func SeasonalConfig(m int) Config {
	c := DefaultConfig()
	switch {
	case m <= 1 || m == 7:
	case m <= 24:
		c.Lags = []int{1, 2, m, 2 * m, 4 * m}
		c.Windows = []int{m, 4 * m}
	default:
		c.Lags = []int{1, 2, 4, m}
		c.Windows = []int{4, m}
	}
	return c
}

type colKind int

const (
	colLag colKind = iota
	colStat
	colQuantile
	colEWM
	colExpanding
	colYearAgo
	colCalendar // four adjacent columns
	colCovariate
)

// column is one feature, or the four calendar features.
type column struct {
	kind  colKind
	k     int // lag or window
	stat  Stat
	q     float64
	ewm   EWM
	name  string // covariate name
	first int    // index of the column in a row
	group int    // for medians and quantiles, the index of the window's orderGroup
}

// lag is how many steps back a lag or year-ago column reads.
func (c column) lag(freq data.Frequency) int {
	if c.kind == colYearAgo {
		return freq.YearLag()
	}
	return c.k
}

// orderGroup is the median and quantile columns of one window, which
// share one sorted window.
type orderGroup struct {
	cols []int     // indices into Builder.cols, in order
	qs   []float64 // the quantile of each, -1 for the median
}

// Builder computes feature rows. It keeps scratch buffers, so one Builder
// must not be used by two goroutines at once; make one per worker.
type Builder struct {
	cfg   Config
	names []string
	cols  []column
	// maxWindow is the longest window: Row's sorted window holds at most
	// that many values.
	maxWindow int

	groups []orderGroup

	roll  Roller
	buf   []float64   // kernel output
	obufs [][]float64 // an order group's outputs
	sbuf  []float64   // Row's sorted window
}

// NewBuilder validates cfg and returns a Builder.
func NewBuilder(cfg Config) (*Builder, error) {
	// The Builder keeps its own copy: a caller reusing its slices must
	// not change the columns under it.
	cfg.Lags, cfg.Windows, cfg.Stats = slices.Clone(cfg.Lags), slices.Clone(cfg.Windows), slices.Clone(cfg.Stats)
	cfg.Quantiles, cfg.EWMAlphas = slices.Clone(cfg.Quantiles), slices.Clone(cfg.EWMAlphas)
	cfg.Covariates = slices.Clone(cfg.Covariates)
	b := &Builder{cfg: cfg}
	add := func(c column, names ...string) {
		c.first = len(b.names)
		b.cols = append(b.cols, c)
		b.names = append(b.names, names...)
	}
	for _, k := range cfg.Lags {
		if k < 1 {
			return nil, fmt.Errorf("features: lag %d must be >= 1", k)
		}
		add(column{kind: colLag, k: k}, fmt.Sprintf("lag_%d", k))
	}
	for _, q := range cfg.Quantiles {
		if !(q >= 0 && q <= 1) {
			return nil, fmt.Errorf("features: quantile %v must be in [0, 1]", q)
		}
	}
	for _, w := range cfg.Windows {
		if w < 1 {
			return nil, fmt.Errorf("features: window %d must be >= 1", w)
		}
		b.maxWindow = max(b.maxWindow, w)
		for _, s := range cfg.Stats {
			if !s.known() {
				return nil, fmt.Errorf("features: unknown statistic %q", s)
			}
			add(column{kind: colStat, k: w, stat: s}, fmt.Sprintf("roll_%s_%d", s, w))
		}
		for _, q := range cfg.Quantiles {
			add(column{kind: colQuantile, k: w, q: q}, fmt.Sprintf("roll_q%.6g_%d", 100*q, w))
		}
	}
	for _, a := range cfg.EWMAlphas {
		if !(a > 0 && a <= 1) {
			return nil, fmt.Errorf("features: ewm alpha %v must be in (0, 1]", a)
		}
		add(column{kind: colEWM, ewm: EWM{Alpha: a, Adjust: true, MinPeriods: 1}}, fmt.Sprintf("ewm_%g", a))
	}
	if cfg.Expanding {
		add(column{kind: colExpanding}, "expanding_mean")
	}
	if cfg.YearAgo {
		add(column{kind: colYearAgo}, "year_ago")
	}
	if cfg.Calendar {
		add(column{kind: colCalendar}, "day_of_week", "day_of_month", "week_of_year", "month")
	}
	for _, c := range cfg.Covariates {
		if c == "" {
			return nil, fmt.Errorf("features: empty covariate name")
		}
		add(column{kind: colCovariate, name: c}, c)
	}
	for _, w := range cfg.Windows {
		var g orderGroup
		for ci, c := range b.cols {
			if c.k != w {
				continue
			}
			switch {
			case c.kind == colStat && c.stat == Median:
				g.cols, g.qs = append(g.cols, ci), append(g.qs, -1)
			case c.kind == colQuantile:
				g.cols, g.qs = append(g.cols, ci), append(g.qs, c.q)
			}
		}
		for _, ci := range g.cols {
			b.cols[ci].group = len(b.groups)
		}
		if len(g.cols) > 0 {
			b.groups = append(b.groups, g)
		}
	}
	// Sized for the common windows up front; a window of years grows it
	// on first use instead of reserving it for nothing.
	b.sbuf = make([]float64, 0, min(b.maxWindow, 1024))
	seen := make(map[string]bool, len(b.names))
	for _, n := range b.names {
		if seen[n] {
			return nil, fmt.Errorf("features: duplicate column %q", n)
		}
		seen[n] = true
	}
	return b, nil
}

// Config returns the configuration the Builder was made with.
func (b *Builder) Config() Config { return b.cfg }

// Names returns the column names, in order.
func (b *Builder) Names() []string { return b.names }

// NumFeatures is the number of columns.
func (b *Builder) NumFeatures() int { return len(b.names) }

// Matrix writes the rows for targets t in [from, to) into dst (row-major,
// (to-from)*NumFeatures() values; dst is grown if short) and returns it.
// Row t uses y[:t] only; values that are undefined (a lag before the start
// of the series, an empty window) are NaN. Covariate columns are NaN; use
// MatrixCov to fill them.
func (b *Builder) Matrix(dst, y []float64, start time.Time, freq data.Frequency, from, to int) []float64 {
	return b.MatrixCov(dst, y, nil, start, freq, from, to)
}

// MatrixCov is Matrix with covariates: cov[name][t] is the value of the
// covariate column name at target t (NaN when the column is absent or
// shorter). The rows cost O((to-from)*NumFeatures() + max window) time,
// plus O(to) for EWM and expanding columns, and allocate nothing once dst
// and the Builder's buffers are large enough.
func (b *Builder) MatrixCov(dst, y []float64, cov map[string][]float64, start time.Time, freq data.Frequency, from, to int) []float64 {
	if from < 0 || to > len(y)+1 || from > to {
		panic(fmt.Sprintf("features: rows [%d,%d) out of range for %d values", from, to, len(y)))
	}
	p := len(b.names)
	dst = resize(dst, (to-from)*p)
	if from == to {
		return dst
	}
	nan := math.NaN()
	// The window whose moments are in b.roll's scratch space: mean, std
	// and var of one window share one pass.
	var moms []moments
	momW, momLo, momHi := -1, 0, 0
	for ci, c := range b.cols {
		j := c.first
		switch c.kind {
		case colLag, colYearAgo:
			k := c.lag(freq)
			for t := from; t < to; t++ {
				v := nan
				if t >= k {
					v = y[t-k]
				}
				dst[(t-from)*p+j] = v
			}
		case colStat, colQuantile, colEWM, colExpanding:
			// Row t reads the statistic of the window ending at t-1, so
			// the kernel sees y[lo:to-1] and nothing later. Windows only
			// need w values before from; starting at a multiple of w keeps
			// the kernel's blocks where they would be for the whole series,
			// so a row does not change in the last bit with from.
			hi := max(to-1, 0)
			lo := 0
			if c.kind == colStat || c.kind == colQuantile {
				lo = min(max(from-c.k, 0)/c.k*c.k, hi)
			}
			if kind, ok := momentStat(c); ok {
				if momW != c.k || momLo != lo || momHi != hi {
					moms = b.roll.windowMoments(y[lo:hi], c.k)
					momW, momLo, momHi = c.k, lo, hi
				}
				for t := from; t < to; t++ {
					v := nan
					if t > 0 {
						v = finishMoments(moms[t-1-lo], 1, kind)
					}
					dst[(t-from)*p+j] = v
				}
				continue
			}
			if c.kind == colQuantile || c.stat == Median {
				// The window's medians and quantiles are all written
				// when its first one comes up.
				g := b.groups[c.group]
				if ci == g.cols[0] {
					outs := b.orderBufs(len(g.cols), hi-lo)
					b.roll.orderStats(outs, y[lo:hi], c.k, 1, g.qs)
					for k, gc := range g.cols {
						scatter(dst, outs[k], p, b.cols[gc].first, from, to, lo)
					}
				}
				continue
			}
			scatter(dst, b.kernel(c, y[lo:hi]), p, j, from, to, lo)
		case colCalendar:
			calendarRows(dst[j:], p, start, freq, from, to)
		case colCovariate:
			col := cov[c.name]
			for t := from; t < to; t++ {
				v := nan
				if t < len(col) {
					v = col[t]
				}
				dst[(t-from)*p+j] = v
			}
		}
	}
	if b.cfg.FillNaN {
		fillNaN(dst)
	}
	return dst
}

// scatter writes out[t-1-lo], the statistic of the window ending at t-1,
// into column j of the rows t in [from, to); row 0 has no window: NaN.
func scatter(dst, out []float64, p, j, from, to, lo int) {
	for t := from; t < to; t++ {
		v := math.NaN()
		if t > 0 {
			v = out[t-1-lo]
		}
		dst[(t-from)*p+j] = v
	}
}

// orderBufs returns k buffers of length n, reused across calls.
func (b *Builder) orderBufs(k, n int) [][]float64 {
	for len(b.obufs) < k {
		b.obufs = append(b.obufs, nil)
	}
	for i := range k {
		b.obufs[i] = resize(b.obufs[i], n)
	}
	return b.obufs[:k]
}

func fillNaN(x []float64) {
	for i, v := range x {
		if v != v {
			x[i] = 0
		}
	}
}

// calendarRows writes the calendar columns of rows [from, to), a stride
// of p apart. Daily rows step the weekday and day of month instead of
// converting every date, and go back to the time package only when the
// month or the ISO week (which starts on Monday) changes: 1 row in 6.
func calendarRows(dst []float64, p int, start time.Time, freq data.Frequency, from, to int) {
	if freq != data.Daily {
		for t := from; t < to; t++ {
			calendar(dst[(t-from)*p:], freq.Add(start, t))
		}
		return
	}
	var cal [4]float64
	var year int
	for t := from; t < to; t++ {
		if t == from {
			year = calendar(cal[:], freq.Add(start, t))
		} else {
			dow := (int(cal[0]) + 1) % 7
			day := int(cal[1]) + 1
			if dow == int(time.Monday) || day > daysIn(year, time.Month(cal[3])) {
				year = calendar(cal[:], freq.Add(start, t))
			} else {
				cal[0], cal[1] = float64(dow), float64(day)
			}
		}
		copy(dst[(t-from)*p:], cal[:])
	}
}

func daysIn(year int, m time.Month) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// calendar writes the four calendar columns of date and returns its year.
func calendar(dst []float64, date time.Time) int {
	_, week := date.ISOWeek()
	dst[0] = float64(date.Weekday())
	dst[1] = float64(date.Day())
	dst[2] = float64(week)
	dst[3] = float64(date.Month())
	return date.Year()
}

// momentStat reports whether c is finished from window moments, and how.
func momentStat(c column) (momentKind, bool) {
	if c.kind != colStat {
		return 0, false
	}
	switch c.stat {
	case Mean:
		return kindMean, true
	case Std:
		return kindStd, true
	case Var:
		return kindVar, true
	}
	return 0, false
}

// kernel runs the column's rolling kernel over x into the Builder's buffer
// (moments and order statistics go through their shared passes instead).
func (b *Builder) kernel(c column, x []float64) []float64 {
	var out []float64
	switch c.kind {
	case colEWM:
		out = c.ewm.Mean(b.buf, x)
	case colExpanding:
		out = ExpandingMean(b.buf, x, 1)
	default:
		out = b.roll.rollStat(b.buf, x, c.stat, c.k, 1)
	}
	b.buf = out
	return out
}

// Row writes the feature row for the target one step after the end of y.
// It costs O(sum of windows) (plus O(len(y)) for EWM and expanding
// columns) and allocates nothing once dst and the Builder are warm. Its
// values equal the last row of Matrix to the last bit.
func (b *Builder) Row(dst, y []float64, start time.Time, freq data.Frequency) []float64 {
	return b.RowCov(dst, y, nil, start, freq)
}

// RowCov is Row with covariates; cov[name][len(y)] is the covariate at the
// target (NaN when absent).
func (b *Builder) RowCov(dst, y []float64, cov map[string][]float64, start time.Time, freq data.Frequency) []float64 {
	p := len(b.names)
	dst = resize(dst, p)
	t := len(y)
	nan := math.NaN()
	for _, c := range b.cols {
		j := c.first
		switch c.kind {
		case colLag, colYearAgo:
			k := c.lag(freq)
			dst[j] = nan
			if t >= k {
				dst[j] = y[t-k]
			}
		case colStat, colQuantile:
			dst[j] = nan
			if t > 0 {
				dst[j] = b.windowLast(c, y, max(t-c.k, 0), t-1)
			}
		case colEWM:
			st := c.ewm.state()
			dst[j] = nan
			for _, v := range y {
				if m := st.add(v); st.nobs >= 1 {
					dst[j] = m
				}
			}
		case colExpanding:
			var st expandingState
			for _, v := range y {
				st.add(v)
			}
			dst[j] = st.mean(1)
		case colCalendar:
			calendar(dst[j:], freq.Add(start, t))
		case colCovariate:
			dst[j] = nan
			if col := cov[c.name]; t < len(col) {
				dst[j] = col[t]
			}
		}
	}
	if b.cfg.FillNaN {
		fillNaN(dst)
	}
	return dst
}

// windowLast is the statistic of the window [l, i] of x with min_periods
// 1, computed the way the kernels compute the window ending at i.
func (b *Builder) windowLast(c column, x []float64, l, i int) float64 {
	switch c.stat {
	case Sum:
		return finishSum(sumWindow(x, l, i, c.k), 1)
	case Mean:
		return finishMoments(momentWindow(x, l, i, c.k), 1, kindMean)
	case Std:
		return finishMoments(momentWindow(x, l, i, c.k), 1, kindStd)
	case Var:
		return finishMoments(momentWindow(x, l, i, c.k), 1, kindVar)
	case Zeros:
		n, z := 0, 0
		for _, v := range x[l : i+1] {
			if v == v {
				n++
				if v == 0 {
					z++
				}
			}
		}
		if n == 0 {
			return math.NaN()
		}
		return float64(z)
	case Min, Max:
		m := math.NaN()
		for _, v := range x[l : i+1] {
			if v == v && (m != m || (c.stat == Min && v < m) || (c.stat == Max && v > m)) {
				m = v
			}
		}
		return m
	}
	// Median and quantiles: sort the window's observations.
	s := b.sbuf[:0]
	for _, v := range x[l : i+1] {
		if v == v {
			s = append(s, v)
		}
	}
	b.sbuf = s
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	if c.kind == colQuantile {
		return quantileSorted(s, c.q)
	}
	return medianSorted(s)
}

// AppendSeries appends to dst the rows for targets t in [from, to) of s,
// covariates included, and returns the extended slice: calling it for
// many series builds one row-major matrix of all of them, reusing dst's
// capacity across calls.
func (b *Builder) AppendSeries(dst []float64, s *data.Series, from, to int) []float64 {
	n := len(dst)
	dst = slices.Grow(dst, (to-from)*len(b.names))
	b.MatrixCov(dst[n:n+(to-from)*len(b.names)], s.Values, s.Covariates, s.Start, s.Freq, from, to)
	return dst[:n+(to-from)*len(b.names)]
}

// Dense wraps a row-major matrix of p columns made by Matrix or
// AppendSeries as a gonum matrix, without copying: the two share storage.
// It returns nil for an empty matrix, which gonum cannot represent.
func Dense(m []float64, p int) *mat.Dense {
	if p <= 0 || len(m) == 0 {
		return nil
	}
	if len(m)%p != 0 {
		panic(fmt.Sprintf("features: %d values are not rows of %d columns", len(m), p))
	}
	return mat.NewDense(len(m)/p, p, m)
}
