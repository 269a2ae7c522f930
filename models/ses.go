package models

import (
	"context"
	"fmt"
	"math"
)

// SES is simple exponential smoothing as R's forecast::ses(), that is
// ets(y, "ANN", opt.crit = "mse"): the smoothing weight alpha and the
// initial level are chosen to minimise the in-sample mean squared one-step
// error, with alpha in R's usual bounds [1e-4, 0.9999]. The point forecast
// is the final level.
//
// R searches (alpha, l0) jointly with Nelder–Mead. Because the one-step
// errors are linear in l0, the best l0 for a given alpha is a closed-form
// least-squares solution, so this implementation minimises the resulting
// profile MSE over alpha alone (a grid then Brent's method). It finds the
// same optimum as R up to R's stopping tolerance, in a fraction of the time.
//
// By default (Adjust = AdjustM4) the series is first seasonally adjusted
// when the M4 seasonality test finds seasonality of period Season, and the
// forecasts are reseasonalised, as in the M4 "SES" benchmark. Set Adjust to
// AdjustNone for R's plain ses().
type SES struct {
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// Adjust chooses the seasonal adjustment; the zero value is AdjustM4.
	Adjust SeasonalAdjust `json:"adjust,omitempty"`
}

// sesFit is a fitted SES: the smoothing weight, the initial level and the
// seasonal indices (nil when the series was not adjusted).
type sesFit struct {
	Alpha  float64   `json:"alpha"`
	Level0 float64   `json:"level0"`
	Figure []float64 `json:"figure,omitempty"`
}

// R's ets "usual" bounds for alpha.
const (
	sesAlphaLo = 1e-4
	sesAlphaHi = 0.9999
)

// Fit implements Forecaster.
func (m SES) Fit(ctx context.Context, in Input) (Fitted, error) {
	if len(in.Y) < 2 {
		return nil, fmt.Errorf("ses: %w: need 2 points, have %d", ErrTooShort, len(in.Y))
	}
	if err := sesCheckFinite("ses", in.Y); err != nil {
		return nil, err
	}
	fig := decompFigure(in.Y, decompSeason(m.Season, in), m.Adjust)
	x := decompAdjust(make([]float64, len(in.Y)), in.Y, fig)
	alpha, l0, err := sesOptimize(ctx, x, sesAlphaLo, sesAlphaHi)
	if err != nil {
		return nil, err
	}
	return &sesFit{Alpha: alpha, Level0: l0, Figure: fig}, nil
}

// Forecast implements Fitted. It re-runs the level recursion over in.Y
// from the fitted initial level, so a longer history refreshes the level.
func (f *sesFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	n := len(in.Y)
	if n < 1 {
		return nil, fmt.Errorf("ses: %w: need 1 point", ErrTooShort)
	}
	if h < 0 {
		return nil, fmt.Errorf("ses: negative horizon %d", h)
	}
	l := sesLevelAdjusted(in.Y, f.Figure, f.Alpha, f.Level0)
	out := make([]float64, h)
	for j := range out {
		out[j] = l
	}
	decompReseason(out, n, f.Figure)
	return out, nil
}

// sesLevelAdjusted runs the SES recursion over y divided by its seasonal
// indices (none when figure is nil) and returns the final level.
func sesLevelAdjusted(y, figure []float64, alpha, l0 float64) float64 {
	l := l0
	if figure == nil {
		for _, v := range y {
			l += alpha * (v - l)
		}
		return l
	}
	m := len(figure)
	for t, v := range y {
		l += alpha * (v/figure[t%m] - l)
	}
	return l
}

// sesLevel runs the SES recursion over x from l0 and returns the final level.
func sesLevel(x []float64, alpha, l0 float64) float64 {
	l := l0
	for _, v := range x {
		l += alpha * (v - l)
	}
	return l
}

// sesTiny is where the decaying weight (1-alpha)^t is flushed to zero.
const sesTiny = 1e-150

// sesProfile returns, for a given alpha, the initial level minimising the
// sum of squared one-step errors of SES on x and the resulting mean squared
// error. With level0 = 0 the errors are e0_t; a level0 of l shifts error t
// by -(1-alpha)^t·l, so the best l is Σ e0_t c_t / Σ c_t². x should be
// centred near zero (the caller subtracts an offset) to keep the
// difference of sums below well conditioned.
func sesProfile(x []float64, alpha float64) (l0, mse float64) {
	var level, c, see, sec, scc float64
	c = 1
	beta := 1 - alpha
	for _, v := range x {
		e := v - level
		see += e * e
		sec += e * c
		scc += c * c
		level += alpha * e
		c *= beta
		if c < sesTiny {
			// Flush before c reaches the subnormal range, where every
			// multiply costs ~100 cycles; its terms are long negligible.
			c = 0
		}
	}
	l0 = sec / scc
	sse := see - sec*sec/scc
	if sse < 0 {
		sse = 0
	}
	return l0, sse / float64(len(x))
}

// sesOptimize finds the alpha in [lo, hi] and initial level minimising the
// in-sample MSE of SES on x. It overwrites x (the callers' scratch copy)
// with a shifted series, to save a second buffer.
func sesOptimize(ctx context.Context, x []float64, lo, hi float64) (alpha, l0 float64, err error) {
	// Centre on the mean of the first points (R's starting value for l0)
	// so the profile sums do not lose precision on series with a large
	// level; SES is translation equivariant, so shift back at the end.
	k := min(len(x), 10)
	var off float64
	for _, v := range x[:k] {
		off += v
	}
	off /= float64(k)
	xc := x
	for i, v := range x {
		xc[i] = v - off
	}
	obj := func(a float64) float64 {
		_, mse := sesProfile(xc, a)
		return mse
	}
	alpha, err = sesMinimize(ctx, obj, lo, hi)
	if err != nil {
		return 0, 0, fmt.Errorf("ses: %w", err)
	}
	l0, _ = sesProfile(xc, alpha)
	return alpha, l0 + off, nil
}

// sesGridSize is the number of starting points of the alpha search: the
// profile MSE can have more than one local minimum, and a coarse grid
// brackets the global one before Brent's method polishes it.
const sesGridSize = 24

// sesMinimize minimises a function of one variable on [lo, hi]: a grid
// (denser near the ends, where smoothing weights live in practice) picks the
// best bracket and Brent's method refines it to about 1e-10.
func sesMinimize(ctx context.Context, f func(float64) float64, lo, hi float64) (float64, error) {
	var grid [sesGridSize]float64
	var vals [sesGridSize]float64
	best := 0
	for i := range grid {
		// Cosine spacing clusters points near lo and hi.
		u := 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(sesGridSize-1))
		grid[i] = lo + (hi-lo)*u
		vals[i] = f(grid[i])
		if vals[i] < vals[best] || math.IsNaN(vals[best]) {
			best = i
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	a := grid[max(best-1, 0)]
	b := grid[min(best+1, sesGridSize-1)]
	x, fx := sesBrent(f, a, b, 1e-10)
	// On a tie keep the grid point: on a flat objective (a sparse series
	// whose errors do not depend on the weight) that is the first, lowest
	// weight, a deterministic choice rather than wherever Brent stopped.
	if fx >= vals[best] {
		return grid[best], nil
	}
	return x, nil
}

// sesBrent is Brent's golden-section/parabolic minimiser on [a, b]
// (Brent 1973, "Algorithms for Minimization without Derivatives", ch. 5).
func sesBrent(f func(float64) float64, a, b, tol float64) (float64, float64) {
	const cgold = 0.3819660112501051
	x := a + cgold*(b-a)
	w, v := x, x
	fx := f(x)
	fw, fv := fx, fx
	var d, e float64
	for iter := 0; iter < 100; iter++ {
		xm := 0.5 * (a + b)
		tol1 := tol*math.Abs(x) + 1e-12
		tol2 := 2 * tol1
		if math.Abs(x-xm) <= tol2-0.5*(b-a) {
			break
		}
		useGolden := true
		if math.Abs(e) > tol1 {
			r := (x - w) * (fx - fv)
			q := (x - v) * (fx - fw)
			p := (x-v)*q - (x-w)*r
			q = 2 * (q - r)
			if q > 0 {
				p = -p
			}
			q = math.Abs(q)
			etemp := e
			e = d
			if !(math.Abs(p) >= math.Abs(0.5*q*etemp) || p <= q*(a-x) || p >= q*(b-x)) {
				d = p / q
				u := x + d
				if u-a < tol2 || b-u < tol2 {
					d = math.Copysign(tol1, xm-x)
				}
				useGolden = false
			}
		}
		if useGolden {
			if x >= xm {
				e = a - x
			} else {
				e = b - x
			}
			d = cgold * e
		}
		var u float64
		if math.Abs(d) >= tol1 {
			u = x + d
		} else {
			u = x + math.Copysign(tol1, d)
		}
		fu := f(u)
		if fu <= fx {
			if u >= x {
				a = x
			} else {
				b = x
			}
			v, w, x = w, x, u
			fv, fw, fx = fw, fx, fu
		} else {
			if u < x {
				a = u
			} else {
				b = u
			}
			if fu <= fw || w == x {
				v, w = w, u
				fv, fw = fw, fu
			} else if fu <= fv || v == x || v == w {
				v = u
				fv = fu
			}
		}
	}
	return x, fx
}

// sesCheckFinite rejects NaN and infinite values, which would poison every
// recursion downstream.
func sesCheckFinite(model string, y []float64) error {
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: %w: non-finite value at %d", model, ErrUnsuitable, i)
		}
	}
	return nil
}
