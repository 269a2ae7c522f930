// Package window is a global learner of a different kind from
// models/global's boosted trees: one linear autoregression (a pooled
// ridge regression, Montero-Manso & Hyndman's global AR) fitted on
// windows cut from every series of a job, each window divided by its
// series' recent level, forecasting all h steps at once (one output per
// step, no recursion).
//
// Why a linear model on raw windows: on smooth, strongly seasonal series
// (M4 hourly) the trees drift over long recursive horizons, while a long
// linear window (two weeks of hours) carries the daily and weekly shape
// directly and a direct multi-output fit has no error feedback. Pooling
// lets the thousands of coefficients of such a window be estimated from
// the whole job where one series alone has too few points.
//
// How a window is made, for a series y and an origin t (the number of
// points seen): the input is y[t-L:t], the target y[t:t+H]; both are
// divided by the level, the mean absolute value of the last Level points
// of the input (the mean of the whole input when those are all zero; a
// window whose input is all zero is left out). Origins are taken from
// the most recent (t = n-H) backwards every Stride steps, at most
// PerSeries of them per series, so that the training cost is bounded per
// series and the most recent behaviour weighs most. The fit is ridge
// regression with an unpenalised intercept (centred inputs and targets),
// solved in closed form by a Cholesky factorisation: it is exact and the
// same as scikit-learn's Ridge(alpha, fit_intercept=True)
// (testdata/ridge_golden.py).
package window

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// ErrTooFewWindows is returned by Train when the series give fewer
// windows than the model has inputs: the fit would be mostly the ridge
// penalty.
var ErrTooFewWindows = errors.New("too few training windows")

// ErrTooShort is returned by Forecast for a history shorter than the
// model's input window.
var ErrTooShort = errors.New("history shorter than the input window")

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
}

// ForSeason returns the settings for series of the season given (steps
// per seasonal cycle: 24 hourly, 7 daily) forecast h steps ahead:
//
//   - hourly (season 24): two weeks of inputs (336), so the weekly cycle
//     is seen twice; the level of the last two days;
//   - otherwise eight seasons (eight weeks of days), at least 2h capped
//     at 400, so a trend over the horizon is visible; the level of the
//     last two seasons.
//
// The origins are spaced by the smallest step of at least a third of a
// season that is coprime with the season, so that the windows of a series
// start at every phase of the cycle; 64 per series bound the training
// cost (about 5 MFLOP per series for hourly data).
func ForSeason(season, h int) Settings {
	season = max(season, 1)
	lags := 8 * season
	if season == 24 {
		lags = 14 * 24
	}
	lags = min(max(lags, 2*h, 14), 400)
	stride := max(1, season/3)
	for gcd(stride, season) != 1 {
		stride++
	}
	return Settings{Lags: lags, Horizon: h, Level: min(2*season, lags), Stride: stride, PerSeries: 64, Alpha: 1e-3}
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

// origins returns the window origins of a series of n points, most
// recent first.
func (s Settings) origins(n int) []int {
	var out []int
	for t := n - s.Horizon; t >= s.Lags && len(out) < s.PerSeries; t -= s.Stride {
		out = append(out, t)
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
			x := y[t-L : t]
			lv := level(x, st.Level)
			if lv == 0 {
				continue
			}
			xr, yr := X.RawRowView(r), Y.RawRowView(r)
			for i, v := range x {
				xr[i] = v / lv
			}
			for j, v := range y[t : t+H] {
				yr[j] = v / lv
			}
			r++
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if r < L+1 {
		return nil, fmt.Errorf("window: %w: %d windows of %d inputs", ErrTooFewWindows, r, L)
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
	buf := make([]float64, 0, L+h)
	buf = append(buf, y[len(y)-L:]...)
	for len(buf)-L < h {
		x := buf[len(buf)-L:]
		lv := level(x, m.Settings.Level)
		steps := min(H, h-(len(buf)-L))
		if lv == 0 {
			buf = append(buf, make([]float64, steps)...)
			continue
		}
		for j := 0; j < steps; j++ {
			v := m.Bias[j]
			for i, xi := range x {
				v += xi / lv * m.Coef.At(i, j)
			}
			buf = append(buf, v*lv)
		}
	}
	return buf[L:], nil
}
