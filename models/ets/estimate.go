package ets

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Estimation of one ETS form: R's initparam and initstate heuristics for
// the starting point, then Nelder–Mead over the smoothing parameters and
// the initial states together, minimising R's criterion inside R's
// parameter region. The optimiser is a transcription of R's nmmin (the one
// forecast 8.20 calls through etsNelderMead) so that both walk the same
// path from the same start.

// DefaultMaxIter is R's etsmodel default maxit: the limit on function
// evaluations of Nelder–Mead.
const DefaultMaxIter = 2000

// Estimate is one fitted form: the Model and how well it fits the
// estimation history.
type Estimate struct {
	Model
	// Lik is R's lik (n log SSE [+ 2 sum log|f|]); MSE the one-step MSE.
	Lik, MSE float64
	// NPar counts estimated parameters plus one for the error variance,
	// as R's AIC does.
	NPar           int
	AIC, AICc, BIC float64
	// Evals is the number of objective evaluations Nelder–Mead used.
	Evals int
	// TotalEvals counts the evaluations of every form automatic
	// selection tried, abandoned ones included (Evals for one form).
	TotalEvals int
}

// objective evaluates R's EtsTargetFunction for a parameter vector
// laid out as (alpha, [beta], [gamma], [phi], l, [b], s_0..s_{m-2}).
type objective struct {
	form   Form
	m      int
	y      []float64
	crit   Criterion
	bounds region
	nPar   int // number of smoothing parameters at the front of the vector
	state  []float64
	ring   []float64
	poly   []float64
}

func newObjective(f Form, m int, y []float64, crit Criterion) *objective {
	if f.Season == None {
		m = 1
	}
	nPar := 1
	if f.Trend != None {
		nPar++
	}
	if f.Season != None {
		nPar++
	}
	if f.Damped {
		nPar++
	}
	return &objective{
		form: f, m: m, y: y, crit: crit, bounds: defaultRegion(), nPar: nPar,
		state: make([]float64, nStates(f, m)),
		ring:  make([]float64, m),
		poly:  make([]float64, 2*(m+2)),
	}
}

// params unpacks the smoothing parameters from the front of par.
func (o *objective) params(par []float64) Params {
	p := Params{Alpha: par[0], Phi: 1}
	j := 1
	if o.form.Trend != None {
		p.Beta = par[j]
		j++
	}
	if o.form.Season != None {
		p.Gamma = par[j]
		j++
	}
	if o.form.Damped {
		p.Phi = par[j]
	}
	return p
}

// fullState expands the optimised states into o.state, adding the last
// seasonal state so that the seasonal states sum to 0 (additive) or m
// (multiplicative), as R does; ok is false when a multiplicative seasonal
// state is negative.
func (o *objective) fullState(par []float64) bool {
	st := par[o.nPar:]
	copy(o.state, st)
	if o.form.Season == None {
		return true
	}
	k := 1
	if o.form.Trend != None {
		k = 2
	}
	var sum float64
	for _, s := range st[k:] {
		sum += s
	}
	last := -sum
	if o.form.Season == Mul {
		last += float64(o.m)
	}
	o.state[len(o.state)-1] = last
	if o.form.Season == Mul {
		for _, s := range o.state[k:] {
			if s < 0 {
				return false
			}
		}
	}
	return true
}

// eval is the objective; +Inf marks an infeasible point. When the value
// is at least limit the result is only guaranteed to be >= limit: the
// recursion stops early where the criterion is monotone in the running
// sums (additive errors, or the MSE criterion).
func (o *objective) eval(par []float64, limit float64) float64 {
	p := o.params(par)
	if !checkParams(o.form, o.m, p, &o.bounds, o.poly) {
		return math.Inf(1)
	}
	if !o.fullState(par) {
		return math.Inf(1)
	}
	stopSSE, stopSumSq := math.Inf(1), math.Inf(1)
	if !math.IsInf(limit, 1) && limit > -1e10 {
		n := float64(len(o.y))
		if o.crit == MSE {
			stopSumSq = limit * n * (1 + 1e-12)
		} else if o.form.Error == Add {
			// lik = n log(SSE) >= limit  <=>  SSE >= exp(limit/n); the
			// margin keeps rounding from stopping a run R would keep.
			stopSSE = math.Exp(limit/n) * (1 + 1e-12)
		}
	}
	run, ok := filterBounded(o.form, o.m, p, o.state, o.y, o.ring, nil, stopSSE, stopSumSq)
	if !ok {
		return math.Inf(1)
	}
	lik := run.Lik
	if lik < -1e10 { // R: avoid perfect fits
		lik = -1e10
	}
	if math.IsNaN(lik) {
		lik = math.Inf(1)
	}
	if o.crit == MSE {
		return run.MSE
	}
	return lik
}

// initParams is R's initparam with bounds = "both".
func initParams(f Form, m int, bd region) []float64 {
	lo, up := bd.Lower, bd.Upper
	alpha := lo[0] + 0.2*(up[0]-lo[0])/float64(m)
	if alpha > 1 || alpha < 0 {
		alpha = lo[0] + 2e-3
	}
	par := []float64{alpha}
	if f.Trend != None {
		u := math.Min(up[1], alpha)
		beta := lo[1] + 0.1*(u-lo[1])
		if beta < 0 || beta > alpha {
			beta = alpha - 1e-3
		}
		par = append(par, beta)
	}
	if f.Season != None {
		u := math.Min(up[2], 1-alpha)
		gamma := lo[2] + 0.05*(u-lo[2])
		if gamma < 0 || gamma > 1-alpha {
			gamma = 1 - alpha - 1e-3
		}
		par = append(par, gamma)
	}
	if f.Damped {
		phi := lo[3] + 0.99*(up[3]-lo[3])
		if phi < 0 || phi > 1 {
			phi = up[3] - 1e-3
		}
		par = append(par, phi)
	}
	return par
}

// initState is R's initstate: a classical decomposition for the
// seasonal states and a regression on the first max(10, 2m) seasonally
// adjusted points for level and trend. It returns (l, [b], s_0..s_{m-2}).
// Series shorter than three seasons are detrended by a regression on a
// linear trend and one Fourier pair instead, as R does.
func initState(y []float64, f Form, m int) ([]float64, error) {
	n := len(y)
	ysa := y
	var seas []float64
	if f.Season != None {
		// seasonal[i] is R's y.d$seasonal: the decomposition's seasonal
		// figure, or for fewer than three seasons the series detrended by
		// a regression on a trend and one Fourier pair.
		nsa := min(max(10, 2*m), n)
		seasonal := make([]float64, max(nsa, m))
		if n < 3*m {
			a, b, err := fourierTrend(y, m)
			if err != nil {
				return nil, err
			}
			for i := range seasonal {
				tr := a + b*float64(i+1)
				if f.Season == Add {
					seasonal[i] = y[i] - tr
				} else {
					seasonal[i] = y[i] / tr
				}
			}
		} else {
			figure := decomposeFigure(y, m, f.Season == Mul)
			for i := range seasonal {
				seasonal[i] = figure[i%m]
			}
		}
		seas = make([]float64, m-1)
		for j := range seas {
			seas[j] = seasonal[m-1-j]
		}
		ysa = make([]float64, nsa)
		if f.Season == Add {
			for i := range ysa {
				ysa[i] = y[i] - seasonal[i]
			}
		} else {
			var sum float64
			for j := range seas {
				seas[j] = math.Max(seas[j], 1e-2)
				sum += seas[j]
			}
			if sum > float64(m) {
				d := sum + 1e-2*float64(len(seas))
				for j := range seas {
					seas[j] /= d
				}
			}
			for i := range ysa {
				ysa[i] = y[i] / math.Max(seasonal[i], 1e-2)
			}
		}
	}
	maxn := min(max(10, 2*m), n)
	var out []float64
	if f.Trend == None {
		var s float64
		for _, v := range ysa[:maxn] {
			s += v
		}
		out = append(out, s/float64(maxn))
	} else {
		// lsfit(1:maxn, y.sa[1:maxn]).
		var xbar, ybar float64
		for i, v := range ysa[:maxn] {
			xbar += float64(i + 1)
			ybar += v
		}
		xbar /= float64(maxn)
		ybar /= float64(maxn)
		var sxx, sxy float64
		for i, v := range ysa[:maxn] {
			dx := float64(i+1) - xbar
			sxx += dx * dx
			sxy += dx * (v - ybar)
		}
		b0 := sxy / sxx
		l0 := ybar - b0*xbar
		if f.Trend == Add {
			if math.Abs(l0+b0) < 1e-8 {
				l0 *= 1 + 1e-3
				b0 *= 1 - 1e-3
			}
			out = append(out, l0, b0)
		} else {
			lv := l0 + b0
			if math.Abs(lv) < 1e-8 {
				lv = 1e-7
			}
			bb := (l0 + 2*b0) / lv
			lv /= bb
			if math.Abs(bb) > 1e10 {
				bb = math.Copysign(1e10, bb)
			}
			if lv < 1e-8 || bb < 1e-8 {
				lv = math.Max(ysa[0], 1e-3)
				bb = math.Max(ysa[1]/ysa[0], 1e-3)
			}
			out = append(out, lv, bb)
		}
	}
	return append(out, seas...), nil
}

// fourierTrend is the intercept and slope of R's
// tslm(y ~ trend + fourier(y, 1)): least squares on 1, t, sin(2 pi t/m)
// and cos(2 pi t/m), t = 1..n (the sine column is dropped for m = 2, where
// it vanishes).
func fourierTrend(y []float64, m int) (a, b float64, err error) {
	n := len(y)
	p := 4
	if m == 2 {
		p = 3
	}
	x := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		t := float64(i + 1)
		x.Set(i, 0, 1)
		x.Set(i, 1, t)
		x.Set(i, p-1, math.Cos(2*math.Pi*t/float64(m)))
		if p == 4 {
			x.Set(i, 2, math.Sin(2*math.Pi*t/float64(m)))
		}
	}
	var beta mat.VecDense
	if err := beta.SolveVec(x, mat.NewVecDense(n, append([]float64(nil), y...))); err != nil {
		return 0, 0, fmt.Errorf("%w: seasonal starting values: %v", ErrUnsuitable, err)
	}
	return beta.AtVec(0), beta.AtVec(1), nil
}

// decomposeFigure is the seasonal figure of R's decompose(): a centred
// moving average (2 x m for even m) as trend, the mean detrended value at
// each position, centred to sum 0 (additive) or average 1 (multiplicative).
// Position i%m of the series start; the summation order follows R's filter.
func decomposeFigure(y []float64, m int, mult bool) []float64 {
	n := len(y)
	nf := m
	if m%2 == 0 {
		nf = m + 1
	}
	nshift := nf / 2
	w, wEnd := 1/float64(m), 1/float64(m)
	if m%2 == 0 {
		wEnd = 0.5 / float64(m)
	}
	sum := make([]float64, m)
	cnt := make([]float64, m)
	for i := nshift; i+nshift < n && i+nshift-(nf-1) >= 0; i++ {
		var z float64
		for j := 0; j < nf; j++ {
			wj := w
			if j == 0 || j == nf-1 {
				wj = wEnd
			}
			z += wj * y[i+nshift-j]
		}
		d := y[i] - z
		if mult {
			d = y[i] / z
		}
		sum[i%m] += d
		cnt[i%m]++
	}
	var tot float64
	for i := range sum {
		sum[i] /= cnt[i]
		tot += sum[i]
	}
	tot /= float64(m)
	for i := range sum {
		if mult {
			sum[i] /= tot
		} else {
			sum[i] -= tot
		}
	}
	return sum
}

// FitForm estimates one form on y by R's procedure. It returns an error
// wrapping ErrTooShort or ErrUnsuitable when R would skip the form.
func FitForm(ctx context.Context, y []float64, f Form, m int, crit Criterion, maxIter int) (*Estimate, error) {
	return fitForm(ctx, y, f, m, crit, maxIter, math.Inf(1), 0)
}

// formError is a failed or abandoned form's error with the evaluations
// it spent, for Estimate.TotalEvals.
type formError struct {
	err   error
	evals int
}

func (e *formError) Error() string { return e.err.Error() }
func (e *formError) Unwrap() error { return e.err }

// errAbandoned is how Nelder–Mead reports a form given up as hopeless.
var errAbandoned = errors.New("ets: fit abandoned")

// fitForm is FitForm that, when margin > 0 and bestAICc is finite,
// abandons the form as hopeless once it has spent abandonEvalsPerPar
// evaluations per parameter and its best likelihood so far, with its
// AICc penalty, is still worse than bestAICc by more than margin. The
// error then wraps errAbandoned.
func fitForm(ctx context.Context, y []float64, f Form, m int, crit Criterion, maxIter int, bestAICc, margin float64) (*Estimate, error) {
	if f.Season == None {
		m = 1
	}
	if maxIter <= 0 {
		maxIter = DefaultMaxIter
	}
	obj := newObjective(f, m, y, crit)
	par := initParams(f, m, obj.bounds)
	if !checkParams(f, m, obj.params(par), &obj.bounds, obj.poly) {
		return nil, fmt.Errorf("%s: %w: starting parameters out of range", f.Method(), ErrUnsuitable)
	}
	st, err := initState(y, f, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Method(), err)
	}
	par = append(par, st...)
	if len(par) >= len(y)-1 {
		return nil, fmt.Errorf("%s: %w: %d parameters for %d points", f.Method(), ErrTooShort, len(par), len(y))
	}
	var giveUp func(evals int, fbest float64) bool
	if margin > 0 && crit == Lik && !math.IsInf(bestAICc, 1) {
		// Nelder–Mead's best value only falls, but it can still fall
		// after the checkpoint: the margin is what the measurements in
		// Settings.Abandon allow for, and the checkpoint grows with the
		// dimension, where the simplex takes longer to settle.
		ny := float64(len(y))
		np := float64(len(par) + 1)
		penalty := 2*np + 2*np*(np+1)/(ny-np-1)
		after := abandonEvalsPerPar * len(par)
		giveUp = func(evals int, fbest float64) bool {
			return evals >= after && fbest+penalty > bestAICc+margin
		}
	}
	best, _, evals, err := nelderMead(ctx, obj.eval, par, maxIter, giveUp)
	if err != nil {
		return nil, &formError{fmt.Errorf("%s: %w", f.Method(), err), evals}
	}
	p := obj.params(best)
	if !obj.fullState(best) {
		return nil, fmt.Errorf("%s: %w: negative seasonal state", f.Method(), ErrUnsuitable)
	}
	run, ok := filter(f, m, p, obj.state, y, obj.ring, nil)
	lik, mse := run.Lik, run.MSE
	if !ok || math.IsNaN(lik) || math.IsInf(lik, 0) {
		return nil, fmt.Errorf("%s: %w: likelihood not finite", f.Method(), ErrUnsuitable)
	}
	np := len(best) + 1
	ny := float64(len(y))
	est := &Estimate{
		Model: Model{
			Form: f, M: m, Params: p, Init: append([]float64(nil), obj.state...),
			// R: sigma2 = sum(residuals^2) / (n - length(par)).
			Sigma2: run.SSE / (ny - float64(len(best))),
		},
		Lik: lik, MSE: mse, NPar: np, Evals: evals, TotalEvals: evals,
		AIC: lik + 2*float64(np),
		BIC: lik + math.Log(ny)*float64(np),
	}
	est.AICc = est.AIC + 2*float64(np*(np+1))/(ny-float64(np)-1)
	return est, nil
}
