package models

import (
	"fmt"
	"math"
)

// This file holds the state-space exponential smoothing core shared by the
// ETS candidates: the model form, the state recursion, the likelihood, the
// parameter region and the forecast function. It follows R's forecast
// package (version 8.20, files ets.R and etscalc.c) closely, so that with
// the same parameters it produces the same numbers, and with its own
// optimisation it lands where R does.

// Component codes of an ETS form, as in R's etscalc.c.
const (
	etsNone = 0
	etsAdd  = 1
	etsMul  = 2
)

// etsMaxSeason is the longest season the ETS models accept, as in R, whose
// etscalc.c keeps the seasonal states in fixed arrays of 24 (ets() ignores
// the season of longer-period data and refuses explicit seasonal forms).
const etsMaxSeason = 24

// Tolerances copied from R's etscalc.c so that the recursion treats
// near-zero divisors exactly as R does.
const (
	etsTol  = 1e-10
	etsHuge = 1e10
)

// etsForm is one member of the ETS family: error, trend and season types
// and whether the trend is damped.
type etsForm struct {
	Error, Trend, Season int
	Damped               bool
}

// String returns R's short name, e.g. "MAdM".
func (f etsForm) String() string {
	c := [3]byte{'N', 'A', 'M'}
	s := string(c[f.Error]) + string(c[f.Trend])
	if f.Damped {
		s += "d"
	}
	return s + string(c[f.Season])
}

// etsParseForm parses a name such as "AAdA", "MNM" or "AAN".
func etsParseForm(name string) (etsForm, error) {
	var f etsForm
	s := name
	code := func(b byte, allowN bool) (int, bool) {
		switch b {
		case 'N':
			return etsNone, allowN
		case 'A':
			return etsAdd, true
		case 'M':
			return etsMul, true
		}
		return 0, false
	}
	if len(s) == 4 && s[2] == 'd' {
		f.Damped = true
		s = s[:2] + s[3:]
	}
	if len(s) != 3 {
		return f, fmt.Errorf("models: invalid ETS form %q", name)
	}
	var ok1, ok2, ok3 bool
	f.Error, ok1 = code(s[0], false)
	f.Trend, ok2 = code(s[1], true)
	f.Season, ok3 = code(s[2], true)
	if !ok1 || !ok2 || !ok3 || (f.Damped && f.Trend == etsNone) {
		return f, fmt.Errorf("models: invalid ETS form %q", name)
	}
	return f, nil
}

// etsParams are the smoothing parameters. Beta is 0 without a trend, Gamma
// 0 without a season and Phi 1 without damping, as R passes them to C.
type etsParams struct {
	Alpha, Beta, Gamma, Phi float64
}

// etsNStates is the length of the full state vector (l, b, s_0..s_{m-1}).
func etsNStates(f etsForm, m int) int {
	n := 1
	if f.Trend != etsNone {
		n++
	}
	if f.Season != etsNone {
		n += m
	}
	return n
}

// etsRun summarises one pass of the recursion.
type etsRun struct {
	// Lik is R's likelihood criterion n log(SSE) (+ 2 sum log|f| for
	// multiplicative errors): -2 log-likelihood up to constants.
	Lik float64
	// SSE is the sum of squared innovations (relative errors for
	// multiplicative error models); MSE the mean squared raw one-step error.
	SSE, MSE float64
}

// etsFilter runs the ETS recursion over y from the initial state x0 (laid
// out as R's: l, b, s_0..s_{m-1}, s_0 the most recent seasonal state); ok
// is false when a forecast becomes invalid.
//
// ring must have length >= m; after the call, final (if not nil, length
// etsNStates) holds the state after the last observation in x0's layout.
// The seasonal states live in a ring buffer indexed by time mod m instead of
// being shifted every step as in R (O(1) per step instead of O(m)), and
// the updates are R's rearranged for a shorter dependency chain; results
// equal R's up to rounding. It allocates nothing.
func etsFilter(f etsForm, m int, p etsParams, x0, y, ring, final []float64) (run etsRun, ok bool) {
	return etsFilterBounded(f, m, p, x0, y, ring, final, math.Inf(1), math.Inf(1))
}

// etsFilterBounded is etsFilter that gives up as soon as the running sum
// of squared innovations exceeds stopSSE or the running sum of squared raw
// errors exceeds stopSumSq, returning Lik = MSE = +Inf. Both sums only
// grow, so the final value would have exceeded the bound too: Nelder–Mead
// only needs to know that a trial point is worse than a threshold, not by
// how much (see etsNelderMead).
func etsFilterBounded(f etsForm, m int, p etsParams, x0, y, ring, final []float64, stopSSE, stopSumSq float64) (run etsRun, ok bool) {
	if f.Trend != etsMul {
		return etsFilterLinearTrend(f, m, p, x0, y, ring, final, stopSSE, stopSumSq)
	}
	if f.Season == etsNone {
		m = 1
	}
	l := x0[0]
	var b float64
	k := 1
	if f.Trend != etsNone {
		b = x0[1]
		k = 2
	}
	seasonal := f.Season != etsNone
	if seasonal {
		// s_{-j} = x0[k+j] lives at ring[(-j) mod m].
		for j := 0; j < m; j++ {
			ring[(m-j)%m] = x0[k+j]
		}
	}
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	// beta/alpha is R's form of the trend update; alpha > 0 in the region.
	betaA := beta / alpha
	var sse, sumSq, sumLogF float64
	prodF := 1.0
	pos := 0 // t mod m for the step being processed (t = i+1)
	for _, yi := range y {
		pos++
		if pos == m {
			pos = 0
		}
		// One-step forecast from the old state.
		var q, phib float64
		switch f.Trend {
		case etsNone:
			q = l
		case etsAdd:
			phib = phi * b
			q = l + phib
		default: // multiplicative trend, kept for completeness
			if b < 0 {
				return etsRun{Lik: math.NaN()}, false
			}
			if math.Abs(phi-1) < etsTol {
				phib = b
			} else {
				phib = math.Pow(b, phi)
			}
			q = l * phib
		}
		fc := q
		var sOld float64
		if seasonal {
			sOld = ring[pos]
			if f.Season == etsAdd {
				fc += sOld
			} else {
				fc *= sOld
			}
		}
		e := yi - fc
		// R keeps a running mean here; a plain sum divided once at the
		// end takes a division off the loop-carried dependency chain.
		sumSq += e * e
		if f.Error == etsMul {
			e /= fc
			// One log per ~150 steps of daily sales instead of one per
			// step (see etsLogProd).
			prodF, sumLogF = etsLogProd(prodF, sumLogF, fc)
		}
		sse += e * e
		if sse > stopSSE || sumSq > stopSumSq {
			return etsRun{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}

		// Update the state.
		var pv float64
		switch f.Season {
		case etsNone:
			pv = yi
		case etsAdd:
			pv = yi - sOld
		default:
			if math.Abs(sOld) < etsTol {
				pv = etsHuge
			} else {
				pv = yi / sOld
			}
		}
		// R updates the trend from r = l_t - l_{t-1}, which puts the new
		// level on the trend's dependency chain. For an additive trend
		// r - phi b = alpha (pv - q), so b_t = phi b + beta (pv - q): the
		// same quantity with a chain half as long (the loop is latency
		// bound), equal to R's up to rounding. Likewise for an additive
		// season t - s = pv - q.
		d := pv - q
		oldl := l
		l = q + alpha*d
		switch f.Trend {
		case etsAdd:
			b = phib + beta*d
		case etsMul:
			var r float64
			if math.Abs(oldl) < etsTol {
				r = etsHuge
			} else {
				r = l / oldl
			}
			b = phib + betaA*(r-phib)
		}
		switch f.Season {
		case etsAdd:
			ring[pos] = sOld + gamma*d
		case etsMul:
			var t float64
			if math.Abs(q) < etsTol {
				t = etsHuge
			} else {
				t = yi / q
			}
			ring[pos] = sOld + gamma*(t-sOld)
		}
	}
	run = etsRun{Lik: float64(len(y)) * math.Log(sse), SSE: sse, MSE: sumSq / float64(len(y))}
	if f.Error == etsMul {
		run.Lik += 2 * (sumLogF + math.Log(prodF))
	}
	if final != nil {
		final[0] = l
		if f.Trend != etsNone {
			final[1] = b
		}
		if seasonal {
			// s_{n-j} sits at ring[(n-j) mod m] = ring[(pos-j) mod m].
			for j := 0; j < m; j++ {
				final[k+j] = ring[((pos-j)%m+m)%m]
			}
		}
	}
	return run, true
}

// etsFilterLinearTrend is etsFilterBounded for no trend or an additive
// (possibly damped) trend, the forms forecastd uses. The loop is bound by
// the latency of the chain from one step's forecast to the next, so it
// carries q = l + phi b (the level-and-trend part of the next forecast)
// and c = phi b instead of l and b:
//
//	d  = pv - q                      (pv: y with the season removed)
//	q' = q + phi c + (alpha + phi beta) d
//	c' = phi c + phi beta d
//
// which is R's l' = q + alpha d, b' = phi b + beta d rearranged so that one
// multiply-add separates consecutive q, about half R's chain; l and b are
// still formed each step, off the chain, for the final state. The results
// equal R's up to rounding.
func etsFilterLinearTrend(f etsForm, m int, p etsParams, x0, y, ring, final []float64, stopSSE, stopSumSq float64) (run etsRun, ok bool) {
	if final == nil && f.Error == etsAdd && f.Season != etsMul {
		return etsFilterAdditive(f, m, p, x0, y, ring, math.Min(stopSSE, stopSumSq))
	}
	if final == nil && f.Error == etsMul && f.Season != etsMul {
		return etsFilterMulErrorAddSeason(f, m, p, x0, y, ring, stopSumSq)
	}
	if final == nil && f.Error == etsMul && f.Season == etsMul {
		if run, handled := etsFilterMulSeason(f, m, p, x0, y, ring, stopSumSq); handled {
			return run, true
		}
	}
	seasonal := f.Season != etsNone
	if !seasonal {
		m = 1
	}
	k := 1
	var b float64
	if f.Trend != etsNone {
		b = x0[1]
		k = 2
	}
	if seasonal {
		// s_{-j} = x0[k+j] lives at ring[(-j) mod m].
		for j := 0; j < m; j++ {
			ring[(m-j)%m] = x0[k+j]
		}
	}
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	if f.Trend == etsNone {
		beta, phi = 0, 1
	}
	l := x0[0]
	c := phi * b
	q := l + c
	kq, kc := alpha+phi*beta, phi*beta
	mulErr := f.Error == etsMul
	var sse, sumSq, sumLogF float64
	prodF := 1.0
	pos := 0 // t mod m for the step being processed (t = i+1)
	for _, yi := range y {
		pos++
		if pos == m {
			pos = 0
		}
		fc := q
		var sOld float64
		switch f.Season {
		case etsAdd:
			sOld = ring[pos]
			fc += sOld
		case etsMul:
			sOld = ring[pos]
			fc *= sOld
		}
		e := yi - fc
		sumSq += e * e
		if mulErr {
			e /= fc
			// One log per ~150 steps instead of one per step.
			prodF, sumLogF = etsLogProd(prodF, sumLogF, fc)
		}
		sse += e * e
		if sse > stopSSE || sumSq > stopSumSq {
			return etsRun{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}
		var pv float64
		switch f.Season {
		case etsNone:
			pv = yi
		case etsAdd:
			pv = yi - sOld
		default:
			if math.Abs(sOld) < etsTol {
				pv = etsHuge
			} else {
				pv = yi / sOld
			}
		}
		d := pv - q
		l = q + alpha*d
		b = c + beta*d
		switch f.Season {
		case etsAdd:
			ring[pos] = sOld + gamma*d
		case etsMul:
			var t float64
			if math.Abs(q) < etsTol {
				t = etsHuge
			} else {
				t = yi / q
			}
			ring[pos] = sOld + gamma*(t-sOld)
		}
		q, c = q+phi*c+kq*d, phi*c+kc*d
	}
	run = etsRun{Lik: float64(len(y)) * math.Log(sse), SSE: sse, MSE: sumSq / float64(len(y))}
	if mulErr {
		run.Lik += 2 * (sumLogF + math.Log(prodF))
	}
	if final != nil {
		final[0] = l
		if f.Trend != etsNone {
			final[1] = b
		}
		if seasonal {
			for j := 0; j < m; j++ {
				final[k+j] = ring[((pos-j)%m+m)%m]
			}
		}
	}
	return run, true
}

// etsFilterAdditive is the Nelder–Mead objective's recursion for the
// all-additive forms (ANN, AAN, AAdN, ANA, AAA, AAdA), which holt,
// damped_holt, holt_winters_add and 6 of auto_ets' 15 forms use. With
// additive errors the innovation e = y - q - s is both the likelihood's
// error and the pv - q of the state update, so a step is a handful of
// operations. It returns no final state.
func etsFilterAdditive(f etsForm, m int, p etsParams, x0, y, ring []float64, stop float64) (run etsRun, ok bool) {
	k := 1
	var b float64
	if f.Trend != etsNone {
		b = x0[1]
		k = 2
	}
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	if f.Trend == etsNone {
		beta, phi = 0, 1
	}
	c := phi * b
	q := x0[0] + c
	kq, kc := alpha+phi*beta, phi*beta
	// q' = (1-kq) q + (phi c + kq pv): pv does not depend on q, so one
	// multiply-add separates consecutive q (see etsFilterLinearTrend).
	a := 1 - kq
	var sse float64
	n := float64(len(y))
	if f.Season == etsNone {
		for _, yi := range y {
			e := yi - q
			sse += e * e
			if sse > stop {
				return etsRun{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
			}
			q, c = a*q+(phi*c+kq*yi), phi*c+kc*e
		}
		return etsRun{Lik: n * math.Log(sse), SSE: sse, MSE: sse / n}, true
	}
	for j := 0; j < m; j++ {
		ring[(m-j)%m] = x0[k+j]
	}
	ring = ring[:m]
	pos := 0
	for _, yi := range y {
		pos++
		if pos == m {
			pos = 0
		}
		s := ring[pos]
		e := yi - (q + s)
		sse += e * e
		if sse > stop {
			return etsRun{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}
		ring[pos] = s + gamma*e
		q, c = a*q+(phi*c+kq*(yi-s)), phi*c+kc*e
	}
	return etsRun{Lik: n * math.Log(sse), SSE: sse, MSE: sse / n}, true
}

// etsFilterMulSeason is the Nelder–Mead objective's recursion for
// multiplicative error and season with no or an additive trend (MNM, MAM,
// MAdM; holt_winters_mul). R divides three times a step (y/s, y/q, e/f);
// here 1/s and y/q give all three, both off the dependency chain, which
// matters because division throughput bounds this loop. It returns no
// final state, and handled = false when a divisor falls below R's
// tolerance, for the caller to rerun R's guarded arithmetic.
func etsFilterMulSeason(f etsForm, m int, p etsParams, x0, y, ring []float64, stopSumSq float64) (run etsRun, handled bool) {
	k := 1
	var b float64
	if f.Trend != etsNone {
		b = x0[1]
		k = 2
	}
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	if f.Trend == etsNone {
		beta, phi = 0, 1
	}
	for j := 0; j < m; j++ {
		ring[(m-j)%m] = x0[k+j]
	}
	ring = ring[:m]
	c := phi * b
	q := x0[0] + c
	kq, kc := alpha+phi*beta, phi*beta
	// q' = (1-kq) q + (phi c + kq pv): pv does not depend on q, so one
	// multiply-add separates consecutive q (see etsFilterLinearTrend).
	a := 1 - kq
	var sse, sumSq, sumLogF float64
	prodF := 1.0
	pos := 0
	for _, yi := range y {
		pos++
		if pos == m {
			pos = 0
		}
		s := ring[pos]
		if math.Abs(s) < etsTol || math.Abs(q) < etsTol {
			return etsRun{}, false
		}
		inv := 1 / s
		t := yi / q // y / q, the seasonal update's target
		fc := q * s
		raw := yi - fc
		sumSq += raw * raw
		e := t*inv - 1 // (y - f) / f
		sse += e * e
		// etsLogProd, written out: its call cost a fifth of an
		// AutoETS fit (the compiler will not inline it).
		if af := math.Abs(fc); af > 1e-100 && af < 1e100 {
			prodF *= af
			if prodF > 1e200 || prodF < 1e-200 {
				sumLogF += math.Log(prodF)
				prodF = 1
			}
		} else {
			sumLogF += math.Log(af)
		}
		if sumSq > stopSumSq {
			return etsRun{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}
		pv := yi * inv
		d := pv - q
		ring[pos] = s + gamma*(t-s)
		q, c = a*q+(phi*c+kq*pv), phi*c+kc*d
	}
	n := float64(len(y))
	run = etsRun{Lik: n*math.Log(sse) + 2*(sumLogF+math.Log(prodF)), SSE: sse, MSE: sumSq / n}
	return run, true
}

// etsFilterMulErrorAddSeason is the Nelder–Mead objective's recursion for
// multiplicative error with no or an additive season (MNN, MAN, MAdN, MNA,
// MAA, MAdA): the state update is the additive one, the likelihood uses
// the relative error. It returns no final state.
func etsFilterMulErrorAddSeason(f etsForm, m int, p etsParams, x0, y, ring []float64, stopSumSq float64) (run etsRun, ok bool) {
	k := 1
	var b float64
	if f.Trend != etsNone {
		b = x0[1]
		k = 2
	}
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	if f.Trend == etsNone {
		beta, phi = 0, 1
	}
	c := phi * b
	q := x0[0] + c
	kq, kc := alpha+phi*beta, phi*beta
	// q' = (1-kq) q + (phi c + kq pv): pv does not depend on q, so one
	// multiply-add separates consecutive q (see etsFilterLinearTrend).
	a := 1 - kq
	var sse, sumSq, sumLogF float64
	prodF := 1.0
	n := float64(len(y))
	abandon := etsRun{Lik: math.Inf(1), MSE: math.Inf(1)}
	if f.Season == etsNone {
		for _, yi := range y {
			raw := yi - q
			sumSq += raw * raw
			e := raw / q
			sse += e * e
			prodF, sumLogF = etsLogProd(prodF, sumLogF, q)
			if sumSq > stopSumSq {
				return abandon, true
			}
			q, c = a*q+(phi*c+kq*yi), phi*c+kc*raw
		}
	} else {
		for j := 0; j < m; j++ {
			ring[(m-j)%m] = x0[k+j]
		}
		ring = ring[:m]
		pos := 0
		for _, yi := range y {
			pos++
			if pos == m {
				pos = 0
			}
			s := ring[pos]
			fc := q + s
			raw := yi - fc
			sumSq += raw * raw
			e := raw / fc
			sse += e * e
			// etsLogProd, written out: its call cost a fifth of an
			// AutoETS fit (the compiler will not inline it).
			if af := math.Abs(fc); af > 1e-100 && af < 1e100 {
				prodF *= af
				if prodF > 1e200 || prodF < 1e-200 {
					sumLogF += math.Log(prodF)
					prodF = 1
				}
			} else {
				sumLogF += math.Log(af)
			}
			if sumSq > stopSumSq {
				return abandon, true
			}
			// With an additive season pv - q = y - s - q is the raw error.
			ring[pos] = s + gamma*raw
			q, c = a*q+(phi*c+kq*(yi-s)), phi*c+kc*raw
		}
	}
	run = etsRun{Lik: n*math.Log(sse) + 2*(sumLogF+math.Log(prodF)), SSE: sse, MSE: sumSq / n}
	return run, true
}

// etsLogProd adds log|f| to the running sum log(prod) + sumLog, where the
// product absorbs ordinary values and the log is taken only when it passes
// 1e±200; values beyond 1e±100 go straight to the log so that the product
// can neither overflow nor underflow (log|0| = -Inf, as in R).
func etsLogProd(prod, sumLog, f float64) (float64, float64) {
	af := math.Abs(f)
	if af > 1e-100 && af < 1e100 {
		prod *= af
		if prod > 1e200 || prod < 1e-200 {
			return 1, sumLog + math.Log(prod)
		}
		return prod, sumLog
	}
	return prod, sumLog + math.Log(af)
}

// etsForecastState writes len(dst) point forecasts from state x (R's
// layout) into dst, as R's etsforecast does; ok is false when a
// multiplicative trend turns negative.
func etsForecastState(dst []float64, f etsForm, m int, phi float64, x []float64) bool {
	if f.Season == etsNone {
		m = 1
	}
	l := x[0]
	var b float64
	k := 1
	if f.Trend != etsNone {
		b = x[1]
		k = 2
	}
	phistar := phi
	for i := range dst {
		var v float64
		switch f.Trend {
		case etsNone:
			v = l
		case etsAdd:
			v = l + phistar*b
		default:
			if b < 0 {
				return false
			}
			v = l * math.Pow(b, phistar)
		}
		j := m - 1 - i%m
		switch f.Season {
		case etsAdd:
			v += x[k+j]
		case etsMul:
			v *= x[k+j]
		}
		dst[i] = v
		if math.Abs(phi-1) < etsTol {
			phistar++
		} else {
			phistar += math.Pow(phi, float64(i+2))
		}
	}
	return true
}

// etsClass3Mean overwrites dst with the forecast means of a model with
// multiplicative error and season (R's class3 in forecast.ets): beyond one
// season the mean is not the point forecast of the recursion, because the
// level and seasonal errors are correlated; the correction grows with the
// innovation variance sigma2. R writes it with Kronecker products; with
// F2 a cyclic shift and G2 a single entry, the recursion on the k x m
// matrix M = E[(l, b)' s'] reduces to moving each column by F1, shifting
// the columns and adding the covariance term to the first.
// x is the state in R's layout; work needs length >= 2m.
func etsClass3Mean(dst []float64, f etsForm, m int, p etsParams, sigma2 float64, x, work []float64) {
	k := 1
	if f.Trend != etsNone {
		k = 2
	}
	// Columns c = 0..m-1 of M stored as (a[c], b[c]): a the level row, b
	// the trend row.
	a, b := work[:m], work[m:2*m]
	for c := 0; c < m; c++ {
		a[c] = x[0] * x[k+c]
		if k == 2 {
			b[c] = x[1] * x[k+c]
		} else {
			b[c] = 0
		}
	}
	phi := p.Phi
	for i := range dst {
		last := m - 1
		dst[i] = a[last] + b[last]
		la, lb := a[last], b[last]
		copy(a[1:], a[:last])
		copy(b[1:], b[:last])
		if k == 1 {
			a[0] = la + sigma2*p.Gamma*p.Alpha*la
			continue
		}
		// F1 = [1 1; 0 phi] moves level and trend in every column; G1 =
		// [alpha alpha; beta beta] adds the covariance term to column 0.
		for c := 1; c < m; c++ {
			a[c] += b[c]
			b[c] *= phi
		}
		sum := la + lb
		a[0] = sum + sigma2*p.Gamma*p.Alpha*sum
		b[0] = phi*lb + sigma2*p.Gamma*p.Beta*sum
	}
}

// etsBounds is R's "usual" region: lower and upper limits for alpha, beta,
// gamma and phi (ets() defaults lower = c(1e-4, 1e-4, 1e-4, 0.8), upper =
// c(0.9999, 0.9999, 0.9999, 0.98)).
type etsBounds struct {
	Lower, Upper [4]float64
}

// etsDefaultBounds returns ets()'s default region (a function rather than
// a package variable, so no caller can change another's bounds).
func etsDefaultBounds() etsBounds {
	return etsBounds{
		Lower: [4]float64{1e-4, 1e-4, 1e-4, 0.8},
		Upper: [4]float64{0.9999, 0.9999, 0.9999, 0.98},
	}
}

// etsCheckParams is R's check_params with bounds = "both": the usual
// region (beta < alpha, gamma < 1 - alpha) and then admissibility (the
// model is forecastable: its characteristic roots lie in the unit disk).
func etsCheckParams(f etsForm, m int, p etsParams, bd *etsBounds, poly []float64) bool {
	if p.Alpha < bd.Lower[0] || p.Alpha > bd.Upper[0] {
		return false
	}
	if f.Trend != etsNone {
		if p.Beta < bd.Lower[1] || p.Beta > p.Alpha || p.Beta > bd.Upper[1] {
			return false
		}
	}
	if f.Damped {
		if p.Phi < bd.Lower[3] || p.Phi > bd.Upper[3] {
			return false
		}
	}
	if f.Season != etsNone {
		if p.Gamma < bd.Lower[2] || p.Gamma > 1-p.Alpha || p.Gamma > bd.Upper[2] {
			return false
		}
	}
	return etsAdmissible(f, m, p, poly)
}

// etsAdmissible is R's admissible() (forecast's C++ EtsTargetFunction).
// poly is scratch space of length >= 2(m+2).
func etsAdmissible(f etsForm, m int, p etsParams, poly []float64) bool {
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	if phi < 0 || phi > 1+1e-8 {
		return false
	}
	if f.Season == etsNone || m <= 1 {
		if alpha < 1-1/phi || alpha > 1+1/phi {
			return false
		}
		if f.Trend != etsNone && (beta < alpha*(phi-1) || beta > (1+phi)*(2-alpha)) {
			return false
		}
		return true
	}
	if f.Trend == etsNone {
		beta = 0
	}
	d := math.Max(1-1/phi-alpha, 0)
	if gamma < d || gamma > 1+1/phi-alpha {
		return false
	}
	mf := float64(m)
	if alpha < 1-1/phi-gamma*(1-mf+phi+phi*mf)/(2*phi*mf) {
		return false
	}
	if beta < -(1-phi)*(gamma/mf+alpha) {
		return false
	}
	// Characteristic polynomial in increasing powers:
	// phi(1-a-g) + (a+b-a phi+g-1) z + (a+b-a phi)(z^2..z^{m-1}) + (a+b-phi) z^m + z^{m+1}.
	c := poly[:m+2]
	c[0] = phi * (1 - alpha - gamma)
	c[1] = alpha + beta - alpha*phi + gamma - 1
	for i := 2; i < m; i++ {
		c[i] = alpha + beta - alpha*phi
	}
	c[m] = alpha + beta - phi
	c[m+1] = 1
	// R rejects when a root exceeds 1+1e-10 in modulus; scaling z by that
	// radius turns this into "all roots inside the unit circle".
	r := 1 + 1e-10
	rk := 1.0
	for i := range c {
		c[i] *= rk
		rk *= r
	}
	return etsSchurStable(c, poly[m+2:])
}

// etsSchurStable reports whether every root of the real polynomial
// c[0] + c[1] z + ... + c[n] z^n lies strictly inside the unit circle, by
// the Schur–Cohn step-down recursion: O(n^2), no allocation, and no root
// finding (R calls polyroot, far slower and in complex arithmetic). It
// overwrites c and uses tmp (len >= len(c)) as scratch.
func etsSchurStable(c, tmp []float64) bool {
	for n := len(c) - 1; n >= 1; n-- {
		a0, an := c[0], c[n]
		if math.Abs(a0) >= math.Abs(an) {
			return false
		}
		// g(z) = (an f(z) - a0 z^n f(1/z)) / z has degree n-1 and, when
		// |a0| < |an|, the same number of roots inside the circle less one.
		g := tmp[:n]
		for k := range g {
			g[k] = an*c[k+1] - a0*c[n-1-k]
		}
		// Rescale so coefficients neither overflow nor underflow.
		s := math.Abs(g[n-1])
		if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return false
		}
		for k := range g {
			c[k] = g[k] / s
		}
	}
	return true
}

// etsFormName formats a form as R's method string, e.g. "ETS(M,Ad,M)".
func etsFormName(f etsForm) string {
	c := [3]string{"N", "A", "M"}
	t := c[f.Trend]
	if f.Damped {
		t += "d"
	}
	return "ETS(" + c[f.Error] + "," + t + "," + c[f.Season] + ")"
}
