package ets

import "math"

// This file holds the state-space core: the state recursion, the
// likelihood, the parameter region and the forecast function. It follows R's forecast
// package (version 8.20, files ets.R and etscalc.c) closely, so that with
// the same parameters it produces the same numbers, and with its own
// optimisation it lands where R does.

// Tolerances copied from R's etscalc.c so that the recursion treats
// near-zero divisors exactly as R does.
const (
	tol  = 1e-10
	huge = 1e10
)

// runStats summarises one pass of the recursion.
type runStats struct {
	// Lik is R's likelihood criterion n log(SSE) (+ 2 sum log|f| for
	// multiplicative errors): -2 log-likelihood up to constants.
	Lik float64
	// SSE is the sum of squared innovations (relative errors for
	// multiplicative error models); MSE the mean squared raw one-step error.
	SSE, MSE float64
}

// startState unpacks the level l and trend b (0 without a trend) of an
// initial state in R's layout; k is the index of its first seasonal
// state.
func startState(f Form, x0 []float64) (l, b float64, k int) {
	k = 1
	if f.Trend != None {
		b = x0[1]
		k = 2
	}
	return x0[0], b, k
}

// seedRing lays the m seasonal states of x0, from index k, out in ring:
// s_{-j} = x0[k+j] lives at ring[(-j) mod m], so that step t reads and
// updates ring[t mod m].
func seedRing(ring, x0 []float64, k, m int) {
	for j := 0; j < m; j++ {
		ring[(m-j)%m] = x0[k+j]
	}
}

// finalState writes the state after the last step into final, in R's
// layout: s_{n-j} sits at ring[(n-j) mod m] = ring[(pos-j) mod m].
func finalState(final []float64, f Form, l, b float64, ring []float64, k, m, pos int) {
	final[0] = l
	if f.Trend != None {
		final[1] = b
	}
	if f.Season != None {
		for j := 0; j < m; j++ {
			final[k+j] = ring[((pos-j)%m+m)%m]
		}
	}
}

// linearCoefs returns the smoothing parameters of a form with no or an
// additive trend (beta 0 and phi 1 without a trend) and the coefficients
// kq = alpha + phi beta and kc = phi beta of the carried recursion (see
// filterLinearTrend).
func linearCoefs(f Form, p Params) (alpha, beta, gamma, phi, kq, kc float64) {
	alpha, beta, gamma, phi = p.Alpha, p.Beta, p.Gamma, p.Phi
	if f.Trend == None {
		beta, phi = 0, 1
	}
	return alpha, beta, gamma, phi, alpha + phi*beta, phi * beta
}

// deseason is R's pv: y with the season s removed, a near-zero
// multiplicative season giving R's huge value.
func deseason(season Component, y, s float64) float64 {
	switch season {
	case None:
		return y
	case Add:
		return y - s
	}
	if math.Abs(s) < tol {
		return huge
	}
	return y / s
}

// updateSeason is the seasonal state s after observing y, where q is the
// level-and-trend forecast and d = pv - q: for an additive season
// t - s = pv - q; for a multiplicative one R's t = y/q, guarded.
func updateSeason(season Component, s, y, q, d, gamma float64) float64 {
	if season == Add {
		return s + gamma*d
	}
	var t float64
	if math.Abs(q) < tol {
		t = huge
	} else {
		t = y / q
	}
	return s + gamma*(t-s)
}

// summarise turns a pass's sums into R's criteria: n log(SSE), plus
// 2 sum log|f| (held as sumLog + log(prod), see logProd) for
// multiplicative errors.
func summarise(n int, sse, sumSq float64, mulErr bool, sumLog, prod float64) runStats {
	run := runStats{Lik: float64(n) * math.Log(sse), SSE: sse, MSE: sumSq / float64(n)}
	if mulErr {
		run.Lik += 2 * (sumLog + math.Log(prod))
	}
	return run
}

// filter runs the ETS recursion over y from the initial state x0 (laid
// out as R's: l, b, s_0..s_{m-1}, s_0 the most recent seasonal state); ok
// is false when a forecast becomes invalid.
//
// ring must have length >= m; after the call, final (if not nil, length
// nStates) holds the state after the last observation in x0's layout.
// The seasonal states live in a ring buffer indexed by time mod m instead of
// being shifted every step as in R (O(1) per step instead of O(m)), and
// the updates are R's rearranged for a shorter dependency chain; results
// equal R's up to rounding. It allocates nothing.
func filter(f Form, m int, p Params, x0, y, ring, final []float64) (run runStats, ok bool) {
	return filterBounded(f, m, p, x0, y, ring, final, math.Inf(1), math.Inf(1))
}

// filterBounded is filter that gives up as soon as the running sum
// of squared innovations exceeds stopSSE or the running sum of squared raw
// errors exceeds stopSumSq, returning Lik = MSE = +Inf. Both sums only
// grow, so the final value would have exceeded the bound too: Nelder–Mead
// only needs to know that a trial point is worse than a threshold, not by
// how much (see nelderMead). Other trends go to filterLinearTrend; the
// loop here is the multiplicative trend's, kept for completeness.
func filterBounded(f Form, m int, p Params, x0, y, ring, final []float64, stopSSE, stopSumSq float64) (run runStats, ok bool) {
	if f.Trend != Mul {
		return filterLinearTrend(f, m, p, x0, y, ring, final, stopSSE, stopSumSq)
	}
	if f.Season == None {
		m = 1
	}
	l, b, k := startState(f, x0)
	seasonal := f.Season != None
	if seasonal {
		seedRing(ring, x0, k, m)
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
		if b < 0 {
			return runStats{Lik: math.NaN()}, false
		}
		var phib float64
		if math.Abs(phi-1) < tol {
			phib = b
		} else {
			phib = math.Pow(b, phi)
		}
		q := l * phib
		fc := q
		var sOld float64
		if seasonal {
			sOld = ring[pos]
			if f.Season == Add {
				fc += sOld
			} else {
				fc *= sOld
			}
		}
		e := yi - fc
		// R keeps a running mean here; a plain sum divided once at the
		// end takes a division off the loop-carried dependency chain.
		sumSq += e * e
		if f.Error == Mul {
			e /= fc
			// One log per ~150 steps of daily sales instead of one per
			// step (see logProd).
			prodF, sumLogF = logProd(prodF, sumLogF, fc)
		}
		sse += e * e
		if sse > stopSSE || sumSq > stopSumSq {
			return runStats{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}

		// Update the state.
		pv := deseason(f.Season, yi, sOld)
		d := pv - q
		oldl := l
		l = q + alpha*d
		var r float64
		if math.Abs(oldl) < tol {
			r = huge
		} else {
			r = l / oldl
		}
		b = phib + betaA*(r-phib)
		if f.Season != None {
			ring[pos] = updateSeason(f.Season, sOld, yi, q, d, gamma)
		}
	}
	run = summarise(len(y), sse, sumSq, f.Error == Mul, sumLogF, prodF)
	if final != nil {
		finalState(final, f, l, b, ring, k, m, pos)
	}
	return run, true
}

// filterLinearTrend is filterBounded for no trend or an additive
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
func filterLinearTrend(f Form, m int, p Params, x0, y, ring, final []float64, stopSSE, stopSumSq float64) (run runStats, ok bool) {
	if final == nil && f.Error == Add && f.Season != Mul {
		return filterAdditive(f, m, p, x0, y, ring, math.Min(stopSSE, stopSumSq))
	}
	if final == nil && f.Error == Mul && f.Season != Mul {
		return filterMulErrorAddSeason(f, m, p, x0, y, ring, stopSumSq)
	}
	if final == nil && f.Error == Mul && f.Season == Mul {
		if run, handled := filterMulSeason(f, m, p, x0, y, ring, stopSumSq); handled {
			return run, true
		}
	}
	seasonal := f.Season != None
	if !seasonal {
		m = 1
	}
	l, b, k := startState(f, x0)
	if seasonal {
		seedRing(ring, x0, k, m)
	}
	alpha, beta, gamma, phi, kq, kc := linearCoefs(f, p)
	c := phi * b
	q := l + c
	mulErr := f.Error == Mul
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
		case Add:
			sOld = ring[pos]
			fc += sOld
		case Mul:
			sOld = ring[pos]
			fc *= sOld
		}
		e := yi - fc
		sumSq += e * e
		if mulErr {
			e /= fc
			// One log per ~150 steps instead of one per step.
			prodF, sumLogF = logProd(prodF, sumLogF, fc)
		}
		sse += e * e
		if sse > stopSSE || sumSq > stopSumSq {
			return runStats{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}
		pv := deseason(f.Season, yi, sOld)
		d := pv - q
		l = q + alpha*d
		b = c + beta*d
		if f.Season != None {
			ring[pos] = updateSeason(f.Season, sOld, yi, q, d, gamma)
		}
		q, c = q+phi*c+kq*d, phi*c+kc*d
	}
	run = summarise(len(y), sse, sumSq, mulErr, sumLogF, prodF)
	if final != nil {
		finalState(final, f, l, b, ring, k, m, pos)
	}
	return run, true
}

// filterAdditive is the Nelder–Mead objective's recursion for the
// all-additive forms (ANN, AAN, AAdN, ANA, AAA, AAdA), which holt,
// damped_holt, holt_winters_add and 6 of auto_ets' 15 forms use. With
// additive errors the innovation e = y - q - s is both the likelihood's
// error and the pv - q of the state update, so a step is a handful of
// operations. It returns no final state.
func filterAdditive(f Form, m int, p Params, x0, y, ring []float64, stop float64) (run runStats, ok bool) {
	l, b, k := startState(f, x0)
	_, _, gamma, phi, kq, kc := linearCoefs(f, p)
	c := phi * b
	q := l + c
	// q' = (1-kq) q + (phi c + kq pv): pv does not depend on q, so one
	// multiply-add separates consecutive q (see filterLinearTrend).
	a := 1 - kq
	var sse float64
	n := float64(len(y))
	if f.Season == None {
		for _, yi := range y {
			e := yi - q
			sse += e * e
			if sse > stop {
				return runStats{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
			}
			q, c = a*q+(phi*c+kq*yi), phi*c+kc*e
		}
		return runStats{Lik: n * math.Log(sse), SSE: sse, MSE: sse / n}, true
	}
	seedRing(ring, x0, k, m)
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
			return runStats{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}
		ring[pos] = s + gamma*e
		q, c = a*q+(phi*c+kq*(yi-s)), phi*c+kc*e
	}
	return runStats{Lik: n * math.Log(sse), SSE: sse, MSE: sse / n}, true
}

// filterMulSeason is the Nelder–Mead objective's recursion for
// multiplicative error and season with no or an additive trend (MNM, MAM,
// MAdM; holt_winters_mul). R divides three times a step (y/s, y/q, e/f);
// here 1/s and y/q give all three, both off the dependency chain, which
// matters because division throughput bounds this loop. It returns no
// final state, and handled = false when a divisor falls below R's
// tolerance, for the caller to rerun R's guarded arithmetic.
func filterMulSeason(f Form, m int, p Params, x0, y, ring []float64, stopSumSq float64) (run runStats, handled bool) {
	l, b, k := startState(f, x0)
	_, _, gamma, phi, kq, kc := linearCoefs(f, p)
	seedRing(ring, x0, k, m)
	ring = ring[:m]
	c := phi * b
	q := l + c
	// q' = (1-kq) q + (phi c + kq pv): pv does not depend on q, so one
	// multiply-add separates consecutive q (see filterLinearTrend).
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
		if math.Abs(s) < tol || math.Abs(q) < tol {
			return runStats{}, false
		}
		inv := 1 / s
		t := yi / q // y / q, the seasonal update's target
		fc := q * s
		raw := yi - fc
		sumSq += raw * raw
		e := t*inv - 1 // (y - f) / f
		sse += e * e
		// logProd, written out: its call cost a fifth of an
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
			return runStats{Lik: math.Inf(1), SSE: sse, MSE: math.Inf(1)}, true
		}
		pv := yi * inv
		d := pv - q
		ring[pos] = s + gamma*(t-s)
		q, c = a*q+(phi*c+kq*pv), phi*c+kc*d
	}
	n := float64(len(y))
	run = runStats{Lik: n*math.Log(sse) + 2*(sumLogF+math.Log(prodF)), SSE: sse, MSE: sumSq / n}
	return run, true
}

// filterMulErrorAddSeason is the Nelder–Mead objective's recursion for
// multiplicative error with no or an additive season (MNN, MAN, MAdN, MNA,
// MAA, MAdA): the state update is the additive one, the likelihood uses
// the relative error. It returns no final state.
func filterMulErrorAddSeason(f Form, m int, p Params, x0, y, ring []float64, stopSumSq float64) (run runStats, ok bool) {
	l, b, k := startState(f, x0)
	_, _, gamma, phi, kq, kc := linearCoefs(f, p)
	c := phi * b
	q := l + c
	// q' = (1-kq) q + (phi c + kq pv): pv does not depend on q, so one
	// multiply-add separates consecutive q (see filterLinearTrend).
	a := 1 - kq
	var sse, sumSq, sumLogF float64
	prodF := 1.0
	n := float64(len(y))
	abandon := runStats{Lik: math.Inf(1), MSE: math.Inf(1)}
	if f.Season == None {
		for _, yi := range y {
			raw := yi - q
			sumSq += raw * raw
			e := raw / q
			sse += e * e
			prodF, sumLogF = logProd(prodF, sumLogF, q)
			if sumSq > stopSumSq {
				return abandon, true
			}
			q, c = a*q+(phi*c+kq*yi), phi*c+kc*raw
		}
	} else {
		seedRing(ring, x0, k, m)
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
			// logProd, written out: its call cost a fifth of an
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
	run = runStats{Lik: n*math.Log(sse) + 2*(sumLogF+math.Log(prodF)), SSE: sse, MSE: sumSq / n}
	return run, true
}

// logProd adds log|f| to the running sum log(prod) + sumLog, where the
// product absorbs ordinary values and the log is taken only when it passes
// 1e±200; values beyond 1e±100 go straight to the log so that the product
// can neither overflow nor underflow (log|0| = -Inf, as in R).
func logProd(prod, sumLog, f float64) (float64, float64) {
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

// forecastState writes len(dst) point forecasts from state x (R's
// layout) into dst, as R's etsforecast does; ok is false when a
// multiplicative trend turns negative.
func forecastState(dst []float64, f Form, m int, phi float64, x []float64) bool {
	if f.Season == None {
		m = 1
	}
	l, b, k := startState(f, x)
	phistar := phi
	for i := range dst {
		var v float64
		switch f.Trend {
		case None:
			v = l
		case Add:
			v = l + phistar*b
		default:
			if b < 0 {
				return false
			}
			v = l * math.Pow(b, phistar)
		}
		j := m - 1 - i%m
		switch f.Season {
		case Add:
			v += x[k+j]
		case Mul:
			v *= x[k+j]
		}
		dst[i] = v
		if math.Abs(phi-1) < tol {
			phistar++
		} else {
			phistar += math.Pow(phi, float64(i+2))
		}
	}
	return true
}

// class3Mean overwrites dst with the forecast means of a model with
// multiplicative error and season (R's class3 in forecast.ets): beyond one
// season the mean is not the point forecast of the recursion, because the
// level and seasonal errors are correlated; the correction grows with the
// innovation variance sigma2. R writes it with Kronecker products; with
// F2 a cyclic shift and G2 a single entry, the recursion on the k x m
// matrix M = E[(l, b)' s'] reduces to moving each column by F1, shifting
// the columns and adding the covariance term to the first.
// x is the state in R's layout; work needs length >= 2m.
func class3Mean(dst []float64, f Form, m int, p Params, sigma2 float64, x, work []float64) {
	k := 1
	if f.Trend != None {
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

// region is R's "usual" region: lower and upper limits for alpha, beta,
// gamma and phi (ets() defaults lower = c(1e-4, 1e-4, 1e-4, 0.8), upper =
// c(0.9999, 0.9999, 0.9999, 0.98)).
type region struct {
	Lower, Upper [4]float64
}

// defaultRegion returns ets()'s default region (a function rather than
// a package variable, so no caller can change another's bounds).
func defaultRegion() region {
	return region{
		Lower: [4]float64{1e-4, 1e-4, 1e-4, 0.8},
		Upper: [4]float64{0.9999, 0.9999, 0.9999, 0.98},
	}
}

// checkParams is R's check_params with bounds = "both": the usual
// region (beta < alpha, gamma < 1 - alpha) and then admissibility (the
// model is forecastable: its characteristic roots lie in the unit disk).
func checkParams(f Form, m int, p Params, bd *region, poly []float64) bool {
	if p.Alpha < bd.Lower[0] || p.Alpha > bd.Upper[0] {
		return false
	}
	if f.Trend != None {
		if p.Beta < bd.Lower[1] || p.Beta > p.Alpha || p.Beta > bd.Upper[1] {
			return false
		}
	}
	if f.Damped {
		if p.Phi < bd.Lower[3] || p.Phi > bd.Upper[3] {
			return false
		}
	}
	if f.Season != None {
		if p.Gamma < bd.Lower[2] || p.Gamma > 1-p.Alpha || p.Gamma > bd.Upper[2] {
			return false
		}
	}
	return admissible(f, m, p, poly)
}

// admissible is R's admissible() (forecast's C++ EtsTargetFunction).
// poly is scratch space of length >= 2(m+2).
func admissible(f Form, m int, p Params, poly []float64) bool {
	alpha, beta, gamma, phi := p.Alpha, p.Beta, p.Gamma, p.Phi
	if phi < 0 || phi > 1+1e-8 {
		return false
	}
	if f.Season == None || m <= 1 {
		if alpha < 1-1/phi || alpha > 1+1/phi {
			return false
		}
		if f.Trend != None && (beta < alpha*(phi-1) || beta > (1+phi)*(2-alpha)) {
			return false
		}
		return true
	}
	if f.Trend == None {
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
	return schurStable(c, poly[m+2:])
}

// schurStable reports whether every root of the real polynomial
// c[0] + c[1] z + ... + c[n] z^n lies strictly inside the unit circle, by
// the Schur–Cohn step-down recursion: O(n^2), no allocation, and no root
// finding (R calls polyroot, far slower and in complex arithmetic). It
// overwrites c and uses tmp (len >= len(c)) as scratch.
func schurStable(c, tmp []float64) bool {
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
