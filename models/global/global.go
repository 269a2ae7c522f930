package global

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/features"
	"github.com/forecastd/forecastd/models/ml"
)

// Errors caused by the data.
var (
	// ErrTooFewRows means the pooled series gave too few training rows.
	ErrTooFewRows = errors.New("global: too few training rows")
	// ErrSeries means a series cannot be forecast (empty, or a
	// non-finite value).
	ErrSeries = errors.New("global: series cannot be forecast")
)

// Series is one history of the pool: the values up to the origin, with
// the covariates running past it where they are planned.
type Series struct {
	Key        data.Key
	Y          []float64
	Start      time.Time
	Freq       data.Frequency
	Covariates map[string][]float64
}

// Settings are the hyperparameters of a global model. The zero value
// means the defaults documented on each field.
type Settings struct {
	// Trees are the booster's settings; the zero value means Poisson
	// loss (squared error when a series has a negative value), 240
	// iterations at learning rate 0.1, 63 leaves, 100 rows per leaf,
	// 63 bins per feature.
	Trees ml.HGBT
	// Season is the season length in steps (required).
	Season int
	// Features is the feature set; nil means Config(Season).
	Features *features.Config
	// Covariates are the covariate columns the model reads (planned over
	// the horizon for every series); nil means none.
	Covariates []string
	// MaxRows caps the training rows of each series to its most recent
	// MaxRows targets; default 1,095 (three years of days).
	MaxRows int
	// PoolRows caps the training rows of the whole pool: when its series
	// offer more candidate rows (after MaxRows) than PoolRows, each row is
	// kept with probability PoolRows/candidates, drawn by a fixed hash of
	// the series key and the target's index, so a model is the same from
	// run to run and a series keeps rows spread over its whole window.
	// The boosting's cost is proportional to the rows: a pool of 100
	// daily series is not subsampled, one of 1,000 keeps about one row
	// in seventeen. Default 60,000; negative means no cap.
	PoolRows int
	// ScaleWindow is how many recent points set a series' scale; default
	// max(4 seasons, 28).
	ScaleWindow int
	// Direct forecasts every step from the origin's features, with the
	// step and the target's calendar and covariates as features (one
	// model for all steps), instead of recursively; Horizon (required
	// then) is the longest step it trains for. Each training target is
	// paired with one origin 1..Horizon steps before it, drawn by a fixed
	// hash, so the rows are as many as the recursive model's.
	Direct  bool
	Horizon int
}

// Config is the default feature set for a season of m steps: the
// features package's seasonal set with a third, longer window, so the
// trees see the recent level at three speeds.
func Config(m int) features.Config {
	c := features.SeasonalConfig(m)
	switch {
	case m == 7 || m <= 1:
		c.Lags = []int{1, 2, 3, 7, 14, 21, 28}
		c.Windows = []int{7, 28, 91}
	case m <= 24:
		c.Windows = append(c.Windows, 7*m)
	}
	return c
}

// The series-level columns appended to each row, after the features
// package's: the position in the season, the log scale, the coefficient
// of variation and the share of zeros of the recent history, and the
// store and SKU encodings.
const staticCols = 6

// Model is a global model fitted on a pool of series. It is safe for
// concurrent use by several goroutines: Forecast builds its own buffers.
type Model struct {
	cfg         features.Config
	season      int
	scaleWindow int
	trees       *ml.Boosted
	imputer     *ml.Imputer
	stores      map[string]float64
	skus        map[string]float64
	cols        int
	nb          int // the features package's columns
	names       []string
	direct      bool
	horizon     int
	covariates  []string
	// Rows is the number of training rows; Series how many series gave
	// them.
	Rows, Series int
}

// settings fills in the defaults.
func (st Settings) withDefaults() (Settings, features.Config) {
	if st.Season < 1 {
		panic(fmt.Sprintf("global: Settings.Season = %d, must be >= 1", st.Season))
	}
	cfg := Config(st.Season)
	if st.Features != nil {
		cfg = *st.Features
	}
	cfg.Covariates = st.Covariates
	cfg.FillNaN = false
	if st.Direct {
		if st.Horizon < 1 {
			panic(fmt.Sprintf("global: Settings.Horizon = %d, must be >= 1 for a direct model", st.Horizon))
		}
		// The origin's calendar and covariates say nothing of the
		// target's: a direct row carries the target's own.
		cfg.Calendar, cfg.Covariates = false, nil
	}
	if st.MaxRows == 0 {
		st.MaxRows = 1095
	}
	if st.PoolRows == 0 {
		st.PoolRows = DefaultPoolRows
	}
	if st.ScaleWindow == 0 {
		st.ScaleWindow = max(4*st.Season, 28)
	}
	t := &st.Trees
	// 240 iterations at 0.1 take the same total step as the 300 at 0.08
	// the candidates were tuned with, for a fifth less CPU: issue 20's
	// budget for them, at 0.0005 of bottom WAPE on the store/item guard
	// (bench/global/RESULTS.md).
	if t.MaxIter == 0 {
		t.MaxIter = 240
	}
	if t.LearningRate == 0 {
		t.LearningRate = 0.1
	}
	if t.MaxLeafNodes == 0 {
		t.MaxLeafNodes = 63
	}
	if t.MinSamplesLeaf == 0 {
		t.MinSamplesLeaf = 100
	}
	if t.MaxBins == 0 {
		// A quarter of scikit-learn's 255: the histograms' per-split
		// work (subtraction and the split scan) shrinks with them, a
		// model costs about a quarter less, and the store/item guard's
		// WAPE did not move (bench/global/RESULTS.md).
		t.MaxBins = 63
	}

	return st, cfg
}

// scaled is a series divided by its scale, with its series-level
// statistics.
type scaled struct {
	s      *Series
	y      []float64
	scale  float64
	static [staticCols]float64
	phase0 int // position in the season of y[0]
}

// prepareSeries scales s and computes its statistics, except the
// encodings (which need the whole pool).
func prepareSeries(s *Series, season, window int) (*scaled, error) {
	n := len(s.Y)
	if n == 0 {
		return nil, fmt.Errorf("%w: %s has no values", ErrSeries, s.Key)
	}
	tail := s.Y[max(0, n-window):]
	var sum, sumAbs, zeros float64
	for i, v := range s.Y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s: y[%d] = %v", ErrSeries, s.Key, i, v)
		}
	}
	for _, v := range tail {
		sum += v
		sumAbs += math.Abs(v)
		if v == 0 {
			zeros++
		}
	}
	scale := sumAbs / float64(len(tail))
	if scale == 0 {
		for _, v := range s.Y {
			scale += math.Abs(v)
		}
		scale /= float64(n)
	}
	if scale == 0 {
		scale = 1
	}
	mean := sum / float64(len(tail))
	var ss float64
	for _, v := range tail {
		ss += (v - mean) * (v - mean)
	}
	p := &scaled{s: s, scale: scale, y: make([]float64, n)}
	for i, v := range s.Y {
		p.y[i] = v / scale
	}
	p.static[1] = math.Log(scale)
	p.static[2] = math.Sqrt(ss/float64(len(tail))) / scale
	p.static[3] = zeros / float64(len(tail))
	p.phase0 = phaseOf(s.Start, s.Freq, season)
	return p, nil
}

// phaseOf is the position in a season of m steps of the step at date t,
// counted from the Unix epoch, so that series starting on different
// dates agree on it (the hour of the day for hourly data, a fixed
// weekday offset for daily data).
func phaseOf(t time.Time, f data.Frequency, m int) int {
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	k, ok := f.Steps(epoch, t)
	if !ok || m < 2 {
		return 0
	}
	return ((k % m) + m) % m
}

// encodings target-encodes store and SKU identity: the mean log scale of
// each store's (and each SKU's) series, less the mean over all series.
func encodings(pool []*scaled) (stores, skus map[string]float64) {
	var all float64
	type acc struct{ sum, n float64 }
	st, sk := map[string]*acc{}, map[string]*acc{}
	for _, p := range pool {
		l := p.static[1]
		all += l
		for _, m := range []struct {
			m   map[string]*acc
			key string
		}{{st, p.s.Key.Store}, {sk, p.s.Key.SKU}} {
			a := m.m[m.key]
			if a == nil {
				a = &acc{}
				m.m[m.key] = a
			}
			a.sum += l
			a.n++
		}
	}
	all /= float64(len(pool))
	stores, skus = make(map[string]float64, len(st)), make(map[string]float64, len(sk))
	for k, a := range st {
		stores[k] = a.sum/a.n - all
	}
	for k, a := range sk {
		skus[k] = a.sum/a.n - all
	}
	return stores, skus
}

// DefaultPoolRows is Settings.PoolRows' default. On store/item's first
// 100 series (109,500 candidate rows) it costs no accuracy the bench
// could see (bench/global/RESULTS.md), and it bounds a model's training
// at about 60,000 rows x 40 columns whatever the pool's size.
const DefaultPoolRows = 60000

// minRows is the fewest training rows a model is fitted on, as for the
// local regression candidates: a pool of one short series still gets a
// (shallow) model.
const minRows = 30

// Train fits a global model on the pool. Each series contributes its
// most recent st.MaxRows targets whose lags are all defined; a series
// too short for one such row contributes none (it can still be forecast).
// A series with a negative value switches a log-link loss to squared
// error, which can fit it.
func Train(ctx context.Context, pool []Series, st Settings) (*Model, error) {
	m, x, y, negative, err := design(ctx, pool, st)
	if err != nil {
		return nil, err
	}
	if m.Rows < minRows {
		return nil, fmt.Errorf("%w: %d rows from %d series, need %d", ErrTooFewRows, m.Rows, len(pool), minRows)
	}
	m.imputer = ml.NewImputer(x, m.cols, false)
	x = m.imputer.Transform(x, x)
	st, _ = st.withDefaults()
	trees := st.Trees
	if trees.Loss == "" {
		trees.Loss = ml.LossPoisson
	}
	if negative && trees.Loss != ml.LossSquaredError {
		trees.Loss = ml.LossSquaredError
	}
	m.trees, err = trees.Fit(ctx, x, m.cols, y)
	if err != nil {
		return nil, fmt.Errorf("global: fit on %d rows of %d series: %w", m.Rows, m.Series, err)
	}
	return m, nil
}

// Design returns the training rows Train would fit on (row-major, NaN
// where a feature is undefined, before imputation), their targets (each
// series' values divided by its scale) and the column names.
func Design(ctx context.Context, pool []Series, st Settings) (x, y []float64, names []string, err error) {
	m, x, y, _, err := design(ctx, pool, st)
	if err != nil {
		return nil, nil, nil, err
	}
	return x, y, m.names, nil
}

// design scales the pool, computes the encodings and lays out the
// training rows; it reports whether a series has a negative value.
func design(ctx context.Context, pool []Series, st Settings) (m *Model, x, y []float64, negative bool, err error) {
	st, cfg := st.withDefaults()
	b, err := features.NewBuilder(cfg)
	if err != nil {
		return nil, nil, nil, false, fmt.Errorf("global: %w", err)
	}
	from0 := 1
	if len(cfg.Lags) > 0 {
		from0 = slices.Max(cfg.Lags)
	}
	prepared := make([]*scaled, 0, len(pool))
	for i := range pool {
		p, err := prepareSeries(&pool[i], st.Season, st.ScaleWindow)
		if err != nil {
			return nil, nil, nil, false, err
		}
		negative = negative || slices.Min(pool[i].Y) < 0
		prepared = append(prepared, p)
	}
	if len(prepared) == 0 {
		return nil, nil, nil, false, fmt.Errorf("%w: no series", ErrTooFewRows)
	}
	m = &Model{cfg: cfg, season: st.Season, scaleWindow: st.ScaleWindow, nb: b.NumFeatures(),
		direct: st.Direct, horizon: st.Horizon, covariates: st.Covariates}
	m.names = append(slices.Clone(b.Names()), "season_phase", "log_scale", "cv", "zero_share", "store_enc", "sku_enc")
	if m.direct {
		m.names = append(m.names, "step", "target_day_of_week", "target_day_of_month", "target_week_of_year", "target_month")
		m.names = append(m.names, m.covariates...)
	}
	m.cols = len(m.names)
	m.stores, m.skus = encodings(prepared)
	rows := 0
	for _, p := range prepared {
		if n := len(p.y); n > from0 {
			rows += n - max(from0, n-st.MaxRows)
		}
	}
	// keep is the hash threshold a row must fall under (of 2^64):
	// everything when the pool offers no more rows than the cap.
	keep := uint64(math.MaxUint64)
	if st.PoolRows > 0 && rows > st.PoolRows {
		frac := float64(st.PoolRows) / float64(rows)
		keep = uint64(frac * (1 << 63) * 2)
		rows = st.PoolRows + st.PoolRows/16 // room for the draw's spread
	}
	x = make([]float64, 0, rows*m.cols)
	y = make([]float64, 0, rows)
	var buf []float64
	for i, p := range prepared {
		if i%16 == 0 && ctx.Err() != nil {
			return nil, nil, nil, false, fmt.Errorf("global: %w", ctx.Err())
		}
		n := len(p.y)
		from := max(from0, n-st.MaxRows)
		if n <= from {
			continue
		}
		m.Series++
		buf = b.MatrixCov(buf, p.y, p.s.Covariates, p.s.Start, p.s.Freq, from, n)
		x, y = m.appendRows(x, y, p, buf, from, i, keep)
	}
	m.Rows = len(y)
	return m, x, y, negative, nil
}

// appendRows appends the training rows of p, whose feature rows for
// targets from..len(p.y)-1 are in feat, to x and their targets to y. A
// recursive row is the target's own; a direct row pairs the target with
// an origin k steps back (k in 1..horizon by a fixed hash of the series'
// index i and the target), whose features it takes. A target is kept
// only when the hash of p's key and t is below keep (Settings.PoolRows).
func (m *Model) appendRows(x, y []float64, p *scaled, feat []float64, from, i int, keep uint64) ([]float64, []float64) {
	n, nb := len(p.y), m.nb
	static := m.static(p)
	key := keyHash(p.s.Key)
	for t := from; t < n; t++ {
		if keep != math.MaxUint64 && mix64(key^uint64(t)*0x9e3779b97f4a7c15) >= keep {
			continue
		}
		o, k := t, 1
		if m.direct {
			k = 1 + int((uint64(t)*2654435761+uint64(i)*40503)%uint64(m.horizon))
			o = t - k + 1
			if o < from {
				continue
			}
		}
		x = append(x, feat[(o-from)*nb:(o-from+1)*nb]...)
		static[0] = float64((p.phase0 + t) % max(m.season, 1))
		x = append(x, static[:]...)
		if m.direct {
			x = m.appendTarget(x, p.s, t, k)
		}
		y = append(y, p.y[t])
	}
	return x, y
}

// keyHash is the FNV-1a hash of a series key, the seed of its rows'
// draw: a series keeps the same rows whatever else is in its pool.
func keyHash(k data.Key) uint64 {
	h := uint64(14695981039346656037)
	for _, s := range [2]string{k.Store, k.SKU} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211 // separates ("ab","c") from ("a","bc")
	}
	return h
}

// mix64 is splitmix64's finaliser: consecutive inputs give unrelated,
// uniformly spread outputs.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// appendTarget appends a direct row's target columns: the step k, the
// calendar of target t, and the covariates at t (NaN when missing).
func (m *Model) appendTarget(x []float64, s *Series, t, k int) []float64 {
	date := s.Freq.Add(s.Start, t)
	_, week := date.ISOWeek()
	x = append(x, float64(k), float64(date.Weekday()), float64(date.Day()), float64(week), float64(date.Month()))
	for _, name := range m.covariates {
		v := math.NaN()
		if col := s.Covariates[name]; t < len(col) {
			v = col[t]
		}
		x = append(x, v)
	}
	return x
}

// static returns p's series-level columns with its encodings; the phase
// (column 0) is the caller's to set per row.
func (m *Model) static(p *scaled) [staticCols]float64 {
	s := p.static
	s[4] = m.stores[p.s.Key.Store]
	s[5] = m.skus[p.s.Key.SKU]
	return s
}

// Forecast forecasts h steps after the end of s, recursively: each step's
// forecast becomes the next step's lag. Covariates are read at the
// target's index, so their plans must run h steps past the history. A
// series shorter than the longest lag or window is padded backwards with
// whole seasons of its own history (or its mean, when it has less than a
// season), so that its level comes from what it has and the rest of its
// shape from the pool. Forecasts of a non-negative history are clipped
// at zero, and every step stays within the history's range widened by
// its span on either side, so the feedback cannot run away.
func (m *Model) Forecast(ctx context.Context, s Series, h int) ([]float64, error) {
	p, err := prepareSeries(&s, m.season, m.scaleWindow)
	if err != nil {
		return nil, err
	}
	b, err := features.NewBuilder(m.cfg)
	if err != nil {
		return nil, fmt.Errorf("global: %w", err)
	}
	hist, cov, start, pad := m.padded(p)
	n := len(hist)
	hist = append(hist, make([]float64, h)...)
	lo, hi := slices.Min(p.y), slices.Max(p.y)
	span := max(hi-lo, math.Abs(hi), 1)
	lo, hi = lo-span, hi+span
	if slices.Min(s.Y) >= 0 {
		lo = max(lo, 0)
	}
	static := m.static(p)
	row := make([]float64, 0, m.cols)
	out := make([]float64, h)
	if m.direct {
		shifted := Series{Start: start, Freq: s.Freq, Covariates: cov}
		origin := b.RowCov(nil, hist[:n], cov, start, s.Freq)
		for i := range out {
			row = append(row[:0], origin...)
			static[0] = float64((p.phase0 - pad + n + i) % max(m.season, 1))
			row = append(row, static[:]...)
			row = m.appendTarget(row, &shifted, n+i, min(i+1, m.horizon))
			row = m.imputer.Transform(row, row)
			v := m.trees.Predict(row)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: %s: non-finite forecast at step %d", ErrSeries, s.Key, i+1)
			}
			out[i] = min(max(v, lo), hi) * p.scale
		}
		return out, nil
	}
	for i := range out {
		if i%16 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("global: %w", ctx.Err())
		}
		row = b.RowCov(row[:0], hist[:n+i], cov, start, s.Freq)
		static[0] = float64((p.phase0 - pad + n + i) % max(m.season, 1))
		row = append(row, static[:]...)
		row = m.imputer.Transform(row, row)
		v := m.trees.Predict(row)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s: non-finite forecast at step %d", ErrSeries, s.Key, i+1)
		}
		v = min(max(v, lo), hi)
		hist[n+i] = v
		out[i] = v * p.scale
	}
	return out, nil
}

// padded returns p's scaled history, padded backwards to the longest lag
// or window with whole seasons of itself when it is shorter, with the
// covariates and start date shifted to match, and the padding's length.
func (m *Model) padded(p *scaled) (hist []float64, cov map[string][]float64, start time.Time, pad int) {
	need := 1
	if len(m.cfg.Lags) > 0 {
		need = slices.Max(m.cfg.Lags)
	}
	if len(m.cfg.Windows) > 0 {
		need = max(need, slices.Max(m.cfg.Windows))
	}
	n := len(p.y)
	if n >= need {
		return slices.Clone(p.y), p.s.Covariates, p.s.Start, 0
	}
	seasons := n / max(m.season, 1)
	var block []float64
	if seasons == 0 {
		var mean float64
		for _, v := range p.y {
			mean += v
		}
		block = []float64{mean / float64(n)}
	} else {
		block = p.y[:seasons*m.season]
	}
	pad = need - n
	if r := pad % len(block); r != 0 {
		pad += len(block) - r
	}
	hist = make([]float64, 0, pad+n)
	for len(hist) < pad {
		hist = append(hist, block...)
	}
	hist = append(hist, p.y...)
	if len(p.s.Covariates) > 0 {
		cov = make(map[string][]float64, len(p.s.Covariates))
		for name, col := range p.s.Covariates {
			c := make([]float64, pad, pad+len(col))
			for i := range c {
				c[i] = math.NaN()
			}
			cov[name] = append(c, col...)
		}
	}
	return hist, cov, p.s.Freq.Add(p.s.Start, -pad), pad
}
