// Package window is a global learner of a different kind from
// models/global's boosted trees: one linear autoregression (a pooled
// ridge regression, Montero-Manso & Hyndman's global AR) fitted on
// windows cut from every series of a job, each window normalised by its
// own recent level, forecasting all h steps at once (one output per
// step, no recursion).
//
// Why a linear model on raw windows: on smooth, strongly seasonal series
// (M4 hourly) the trees drift over long recursive horizons, while a long
// linear window (three weeks of hours, a year of days) carries the daily,
// weekly and yearly shape directly and a direct multi-output fit has no
// error feedback. Pooling lets the thousands of coefficients of such a
// window be estimated from the whole job where one series alone has too
// few points.
//
// How a window is made, for a series y and an origin t (the number of
// points seen): the input is y[t-L:t], the target y[t:t+H], both through
// log(1+y) (Settings.Log); both are centred on the mean of the input's
// last Level points and divided by the input's mean absolute deviation
// from it (Settings.Centre; without it, divided by the mean absolute
// value of those points). A window with no shape (constant input) is
// left out, and forecast flat. Origins run back from the most recent
// (t = n-H) every Stride steps, or are spread over the whole history
// when more than PerSeries would be needed (Settings.origins), so that
// the training cost is bounded per series. The fit is ridge regression
// with an unpenalised intercept (centred inputs and targets), solved in
// closed form by a Cholesky factorisation: it is exact and the same as
// scikit-learn's Ridge(alpha, fit_intercept=True)
// (testdata/ridge_golden.py checks all three normalisations).
package window

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// ErrTooFewWindows is returned by Train when the series give fewer than
// MinWindows windows.
var ErrTooFewWindows = errors.New("too few training windows")

// MinWindows is the fewest windows Train fits on. The penalty keeps the
// fit defined with fewer windows than inputs (a pool of one weekly
// series: 40 windows of 52 weeks), so the floor is only there to refuse
// a fit on a handful of windows.
const MinWindows = 10

// ErrTooShort is returned by Forecast for a history shorter than the
// model's input window.
var ErrTooShort = errors.New("history shorter than the input window")

// ErrNegative is returned by Forecast of a model of log(1+y) for a
// history whose input window has a negative value.
var ErrNegative = errors.New("negative values in the input window of a model of log(1+y)")

// Settings are the shape of the windows and the ridge penalty.
type Settings struct {
	// Lags is L, the input window's length.
	Lags int
	// Horizon is H, the steps forecast at once.
	Horizon int
	// Level is how many of the input's last points set its level.
	Level int
	// Stride is the spacing of the origins of one series' windows.
	Stride int
	// PerSeries is the most windows one series contributes.
	PerSeries int
	// Alpha is the ridge penalty per training window (the penalty on the
	// sum of squares is Alpha times the number of windows), so that its
	// strength does not depend on the size of the job.
	Alpha float64
	// Centre subtracts the level from a window before scaling it, and
	// scales by the window's mean absolute deviation from that level
	// instead of by the level (Settings.scale).
	Centre bool
	// Log models log(1+y) instead of y (a non-negative series; a window
	// with a negative value is left out of training, and a series whose
	// input window has one cannot be forecast): seasonal and level
	// effects that multiply become additive, which a linear model can
	// carry.
	Log bool
}

// ForSeason returns the settings for series of the season given (steps
// per seasonal cycle: 24 hourly, 7 daily) forecast h steps ahead, whose
// histories are typically n points long (the median of the pool).
//
// The input window is the longest of a few that leaves the typical series
// enough origins to learn from (n >= L + h + span): for daily data a year
// (364 days, so the model sees the same weeks last year: WAPE 0.107 on
// store/item's validation split against 0.125 with 180 days) when the
// origins span a year too (two years and h of history; with less, the
// windows see only some months of the year); for hourly data three weeks
// (504; OWA 0.545 on M4 hourly's last 48 training hours against 0.565
// with two weeks), else two weeks, when the origins span eight days.
// Otherwise eight seasons or 2h (at most 400) when the origins span four
// seasons, else one season or 2h (a year of weeks for weekly data). Measured with bench/global (RESULTS.md), tuned on the
// last horizon of the training data, not on the test.
//
// Windows are centred on the mean of the last two seasons of log(1+y)
// and scaled by their mean absolute deviation (Centre, Log: on M4
// hourly's test with two weeks of lags, OWA 0.552, against 0.666 without
// the log and 0.811 divided by the level alone); the penalty is 0.01 per
// window. Origins are spaced by the smallest step of at least a third of
// a season that is coprime with the season (so the windows of a series
// start at every phase of the cycle; 1 for seasons longer than a day of
// hours), or spread over the whole history when that would exceed 64; 64
// per series bound the training cost (BenchmarkTrainHourly,
// BenchmarkTrainDaily).
func ForSeason(season, h, n int) Settings {
	season = max(season, 1)
	var choices [][2]int // lags, span of origins
	switch season {
	case 24:
		choices = [][2]int{{21 * 24, 8 * 24}, {14 * 24, 8 * 24}}
	case 7:
		choices = [][2]int{{364, 364}}
	}
	choices = append(choices, [2]int{min(max(8*season, 2*h, 14), 400), 4 * season}, [2]int{max(season, 2*h, 14), 0})
	lags := choices[len(choices)-1][0]
	for _, c := range choices {
		if n >= c[0]+h+c[1] {
			lags = c[0]
			break
		}
	}
	stride := max(1, season/3)
	if season > 24 {
		// Long seasons (52 weeks) come with short histories: every
		// origin counts.
		stride = 1
	}
	for gcd(stride, season) != 1 {
		stride++
	}
	return Settings{Lags: lags, Horizon: h, Level: min(2*season, lags), Stride: stride, PerSeries: 64, Alpha: 0.01, Centre: true, Log: true}
}

// ForPool is ForSeason for the histories ys: n is their median length.
func ForPool(ys [][]float64, season, h int) Settings {
	lens := make([]int, len(ys))
	for i, y := range ys {
		lens[i] = len(y)
	}
	sort.Ints(lens)
	n := 0
	if len(lens) > 0 {
		n = lens[len(lens)/2]
	}
	return ForSeason(season, h, n)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (s Settings) validate() error {
	if s.Lags < 1 || s.Horizon < 1 || s.Level < 1 || s.Level > s.Lags || s.Stride < 1 || s.PerSeries < 1 || s.Alpha < 0 {
		return fmt.Errorf("window: invalid settings %+v", s)
	}
	return nil
}

// Model is a trained pooled ridge: out = level * (x/level · Coef + Bias)
// for the last Lags points x of a series.
type Model struct {
	Settings Settings
	// Coef is Lags x Horizon: Coef.At(i, j) weighs input i (oldest
	// first) for step j+1.
	Coef *mat.Dense
	// Bias is the intercept of each step.
	Bias []float64
	// Windows is how many windows the model was trained on.
	Windows int
}

// level is the scale of the input window x (len Lags): the mean absolute
// value of its last lv points, else of all of them; 0 when x is all zero.
func level(x []float64, lv int) float64 {
	var s float64
	for _, v := range x[len(x)-lv:] {
		s += math.Abs(v)
	}
	if s > 0 {
		return s / float64(lv)
	}
	for _, v := range x {
		s += math.Abs(v)
	}
	return s / float64(len(x))
}

// scale returns the location and scale of the input window x: with
// s.Centre, the mean of its last Level points and the mean absolute
// deviation of x from it; otherwise 0 and level(x). A zero scale (a
// constant window, or an all-zero one) means the window carries no
// shape: it is left out of training and forecast as flat at loc.
func (s Settings) scale(x []float64) (loc, scale float64) {
	if !s.Centre {
		return 0, level(x, s.Level)
	}
	for _, v := range x[len(x)-s.Level:] {
		loc += v
	}
	loc /= float64(s.Level)
	for _, v := range x {
		scale += math.Abs(v - loc)
	}
	return loc, scale / float64(len(x))
}

// transform copies y into dst, through log(1+y) with s.Log; false when
// s.Log and y has a negative value.
func (s Settings) transform(dst, y []float64) bool {
	if !s.Log {
		copy(dst, y)
		return true
	}
	for i, v := range y {
		if v < 0 {
			return false
		}
		dst[i] = math.Log1p(v)
	}
	return true
}

// origins returns the window origins of a series of n points, most
// recent first: every Stride steps back from n-H, or, when that would
// give more than PerSeries, PerSeries origins spread evenly over the
// whole history (integer division), so that every part of the year is
// seen and not only the last months.
func (s Settings) origins(n int) []int {
	last := n - s.Horizon
	if last < s.Lags {
		return nil
	}
	span := last - s.Lags
	if span/s.Stride+1 <= s.PerSeries || s.PerSeries == 1 {
		var out []int
		for t := last; t >= s.Lags && len(out) < s.PerSeries; t -= s.Stride {
			out = append(out, t)
		}
		return out
	}
	out := make([]int, s.PerSeries)
	for k := range out {
		out[k] = last - k*span/(s.PerSeries-1)
	}
	return out
}

// Train fits the pooled ridge on the windows of ys (each a history,
// oldest first, without missing values). A series too short for one
// window contributes none.
func Train(ctx context.Context, ys [][]float64, st Settings) (*Model, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	L, H := st.Lags, st.Horizon
	rows := 0
	for _, y := range ys {
		rows += len(st.origins(len(y)))
	}
	X := mat.NewDense(max(rows, 1), L, nil)
	Y := mat.NewDense(max(rows, 1), H, nil)
	r := 0
	for _, y := range ys {
		for _, t := range st.origins(len(y)) {
			xr, yr := X.RawRowView(r), Y.RawRowView(r)
			if !st.transform(xr, y[t-L:t]) || !st.transform(yr, y[t:t+H]) {
				continue
			}
			loc, sc := st.scale(xr)
			if sc == 0 {
				continue
			}
			for i, v := range xr {
				xr[i] = (v - loc) / sc
			}
			for j, v := range yr {
				yr[j] = (v - loc) / sc
			}
			r++
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if r < MinWindows {
		return nil, fmt.Errorf("window: %w: %d windows of %d inputs, needs %d", ErrTooFewWindows, r, L, MinWindows)
	}
	X, Y = X.Slice(0, r, 0, L).(*mat.Dense), Y.Slice(0, r, 0, H).(*mat.Dense)
	xMean, yMean := centre(X), centre(Y)
	// Normal equations (X'X + alpha*r*I) B = X'Y on the centred data; the
	// intercept is then yMean - xMean B, unpenalised.
	g := blas64.Symmetric{N: L, Stride: L, Uplo: blas.Upper, Data: make([]float64, L*L)}
	blas64.Syrk(blas.Trans, 1, X.RawMatrix(), 0, g)
	for i := 0; i < L; i++ {
		g.Data[i*L+i] += st.Alpha * float64(r)
	}
	var chol mat.Cholesky
	if ok := chol.Factorize(mat.NewSymDense(L, g.Data)); !ok {
		return nil, fmt.Errorf("window: normal equations not positive definite (alpha %g)", st.Alpha)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var xty, coef mat.Dense
	xty.Mul(X.T(), Y)
	if err := chol.SolveTo(&coef, &xty); err != nil {
		return nil, fmt.Errorf("window: solve normal equations: %w", err)
	}
	bias := make([]float64, H)
	for j := range bias {
		b := yMean[j]
		for i := 0; i < L; i++ {
			b -= xMean[i] * coef.At(i, j)
		}
		bias[j] = b
	}
	return &Model{Settings: st, Coef: &coef, Bias: bias, Windows: r}, nil
}

// centre subtracts each column's mean from m and returns the means.
func centre(m *mat.Dense) []float64 {
	r, c := m.Dims()
	mean := make([]float64, c)
	for i := 0; i < r; i++ {
		for j, v := range m.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(r)
	}
	for i := 0; i < r; i++ {
		row := m.RawRowView(i)
		for j := range row {
			row[j] -= mean[j]
		}
	}
	return mean
}

// Forecast returns h forecasts after the end of y. Beyond the model's
// Horizon it continues recursively, the forecasts feeding the next
// window. An all-zero input window forecasts zeros.
func (m *Model) Forecast(y []float64, h int) ([]float64, error) {
	L, H := m.Settings.Lags, m.Settings.Horizon
	if len(y) < L {
		return nil, fmt.Errorf("window: %w: %d points, needs %d", ErrTooShort, len(y), L)
	}
	buf := make([]float64, L, L+h)
	if !m.Settings.transform(buf, y[len(y)-L:]) {
		return nil, fmt.Errorf("window: %w", ErrNegative)
	}
	for len(buf)-L < h {
		x := buf[len(buf)-L:]
		loc, sc := m.Settings.scale(x)
		steps := min(H, h-(len(buf)-L))
		for j := 0; j < steps; j++ {
			if sc == 0 {
				buf = append(buf, loc)
				continue
			}
			v := m.Bias[j]
			for i, xi := range x {
				v += (xi - loc) / sc * m.Coef.At(i, j)
			}
			buf = append(buf, loc+v*sc)
		}
	}
	out := buf[L:]
	if m.Settings.Log {
		for i, v := range out {
			out[i] = math.Expm1(v)
		}
	}
	return out, nil
}
