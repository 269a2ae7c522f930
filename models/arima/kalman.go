package arima

import "math"

// filter holds the state and scratch space of the Kalman filter of one
// ARIMA model, sized once per fit so that likelihood evaluations
// allocate nothing.
type filter struct {
	p, q, r, d, rd int

	a, anew, m []float64 // state, predicted state, P Z
	pm, pnew   []float64 // rd x rd covariances, column-major as in R
	mm         []float64 // rd x rd product T P
	pn         []float64 // initial covariance (Q0 and the diffuse block)

	// Scratch for the stationary covariance.
	gamma, psi, c, sys, rhs []float64
}

func newFilter(p, q, d int) *filter {
	r := max(p, q+1)
	rd := r + d
	return &filter{
		p: p, q: q, r: r, d: d, rd: rd,
		a: make([]float64, rd), anew: make([]float64, rd), m: make([]float64, rd),
		pm: make([]float64, rd*rd), pnew: make([]float64, rd*rd), mm: make([]float64, rd*rd),
		pn:    make([]float64, rd*rd),
		gamma: make([]float64, r+1), psi: make([]float64, r+q+1), c: make([]float64, r+1),
		sys: make([]float64, (p+1)*(p+1)), rhs: make([]float64, p+1),
	}
}

// initState sets a to zero and pn to the covariance R's makeARIMA
// starts from: the stationary covariance Q0 of the ARMA part (for unit
// innovation variance) and kappa on the diagonal of the differencing
// block. It reports false when the AR part is not stationary.
func (f *filter) initState(phi, theta []float64, kappa float64) bool {
	for i := range f.a {
		f.a[i] = 0
	}
	for i := range f.pn {
		f.pn[i] = 0
	}
	if !f.q0(phi, theta) {
		return false
	}
	for i := f.r; i < f.rd; i++ {
		f.pn[i+f.rd*i] = kappa
	}
	return true
}

// q0 writes the stationary covariance of the ARMA state into the top-left
// r x r block of pn.
//
// R computes it with Gardner et al.'s (1980) algorithm AS 154, which is
// O(r^4) in time and O(r^4) in memory and so dominates the cost of
// seasonal fits (r = 26 for an SMA(1) term at m = 24). We use the
// structure of R's state-space form instead: with a_t[i] = phi_{i+1}
// y_{t-1} + a_{t-1}[i+1] + R_i e_t, stationarity gives
//
//	Q[i][l] = phi_{i+1} phi_{l+1} g(0) + phi_{i+1} c[l+1] + phi_{l+1} c[i+1]
//	          + Q[i+1][l+1] + R_i R_l
//
// where g are the autocovariances of y and c[k] = Cov(y_t, a_t[k]), so Q
// follows from g and the psi weights in O(r^2) once g(0..p) are solved
// for (O(p^3)). The result is the same matrix; the tests check it
// against the Lyapunov equation Q = T Q T' + R R'.
func (f *filter) q0(phi, theta []float64) bool {
	if !f.q0col(phi, theta) {
		return false
	}
	p, q, r, rd := len(phi), len(theta), f.r, f.rd
	th := func(j int) float64 {
		if j == 0 {
			return 1
		}
		if j <= q {
			return theta[j-1]
		}
		return 0
	}
	ph := func(k int) float64 {
		if k >= 1 && k <= p {
			return phi[k-1]
		}
		return 0
	}
	g, c := f.gamma, f.c
	for i := r - 1; i >= 0; i-- {
		for l := r - 1; l >= i; l-- {
			v := ph(i+1)*ph(l+1)*g[0] + ph(i+1)*c[l+1] + ph(l+1)*c[i+1] + th(i)*th(l)
			if i+1 < r && l+1 < r {
				v += f.pn[(i+1)+rd*(l+1)]
			}
			f.pn[i+rd*l] = v
			f.pn[l+rd*i] = v
		}
	}
	return true
}

// q0col computes the autocovariances g(0..r) of the ARMA process and the
// first column c of its stationary state covariance (see q0).
func (f *filter) q0col(phi, theta []float64) bool {
	p, q, r := len(phi), len(theta), f.r
	th := func(j int) float64 { // theta_j with theta_0 = 1
		if j == 0 {
			return 1
		}
		if j <= q {
			return theta[j-1]
		}
		return 0
	}
	ph := func(k int) float64 { // phi_k, 1-based
		if k >= 1 && k <= p {
			return phi[k-1]
		}
		return 0
	}
	// psi weights of the MA(infinity) form.
	psi := f.psi
	for j := range psi {
		s := th(j)
		for k := 1; k <= min(j, p); k++ {
			s += phi[k-1] * psi[j-k]
		}
		psi[j] = s
	}
	g := f.gamma
	if p == 0 {
		for h := 0; h <= r; h++ {
			s := 0.0
			for j := h; j <= q; j++ {
				s += th(j) * th(j-h)
			}
			g[h] = s
		}
	} else {
		n := p + 1
		a, b := f.sys, f.rhs
		for i := range a {
			a[i] = 0
		}
		for h := 0; h < n; h++ {
			a[h*n+h] += 1
			for k := 1; k <= p; k++ {
				a[h*n+abs(h-k)] -= phi[k-1]
			}
			s := 0.0
			for j := h; j <= q; j++ {
				s += th(j) * psi[j-h]
			}
			b[h] = s
		}
		if !solve(a, b, n) {
			return false
		}
		copy(g, b[:min(n, r+1)])
		for h := n; h <= r; h++ {
			s := 0.0
			for k := 1; k <= p; k++ {
				s += phi[k-1] * g[h-k]
			}
			for j := h; j <= q; j++ {
				s += th(j) * psi[j-h]
			}
			g[h] = s
		}
		if !(g[0] > 0) || math.IsInf(g[0], 0) {
			return false
		}
	}
	c := f.c
	for k := 0; k < r; k++ {
		s := 0.0
		for j := 0; j <= r-1-k; j++ {
			s += ph(k+j+1)*g[j+1] + th(k+j)*psi[j]
		}
		c[k] = s
	}
	c[r] = 0
	return true
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// solve solves the n x n row-major system a x = b in place (b becomes x)
// by Gaussian elimination with partial pivoting; false if singular.
func solve(a, b []float64, n int) bool {
	for k := 0; k < n; k++ {
		piv, best := k, math.Abs(a[k*n+k])
		for i := k + 1; i < n; i++ {
			if v := math.Abs(a[i*n+k]); v > best {
				piv, best = i, v
			}
		}
		if best < 1e-300 || math.IsNaN(best) {
			return false
		}
		if piv != k {
			for j := 0; j < n; j++ {
				a[k*n+j], a[piv*n+j] = a[piv*n+j], a[k*n+j]
			}
			b[k], b[piv] = b[piv], b[k]
		}
		for i := k + 1; i < n; i++ {
			fct := a[i*n+k] / a[k*n+k]
			if fct == 0 {
				continue
			}
			for j := k; j < n; j++ {
				a[i*n+j] -= fct * a[k*n+j]
			}
			b[i] -= fct * b[k]
		}
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < n; j++ {
			s -= a[i*n+j] * b[j]
		}
		b[i] = s / a[i*n+i]
	}
	return true
}

// likelihood runs R's ARIMA_Like over y from the state set by initState:
// it returns the sum of squared standardised innovations, the sum of the
// log gains and the number of innovations used (those whose gain is below
// 1e4, which leaves out the diffuse start). When resid is not nil it
// receives the standardised innovations. On return f.a holds the filtered
// state after the last observation.
func (f *filter) likelihood(y, phi, theta, delta []float64, resid []float64) (ssq, sumlog float64, nu int) {
	p, q, r, d, rd := len(phi), len(theta), f.r, f.d, f.rd
	a, anew, M, P, Pnew, mm := f.a, f.anew, f.m, f.pm, f.pnew, f.mm
	copy(Pnew, f.pn)
	for l := range y {
		transition(anew, a, phi, delta, r)
		if l > 0 {
			if d == 0 {
				for i := 0; i < r; i++ {
					vi := 0.0
					if i == 0 {
						vi = 1
					} else if i-1 < q {
						vi = theta[i-1]
					}
					for j := 0; j < r; j++ {
						tmp := 0.0
						if j == 0 {
							tmp = vi
						} else if j-1 < q {
							tmp = vi * theta[j-1]
						}
						if i < p && j < p {
							tmp += phi[i] * phi[j] * P[0]
						}
						if i < r-1 && j < r-1 {
							tmp += P[i+1+r*(j+1)]
						}
						if i < p && j < r-1 {
							tmp += phi[i] * P[j+1]
						}
						if j < p && i < r-1 {
							tmp += phi[j] * P[i+1]
						}
						Pnew[i+r*j] = tmp
					}
				}
			} else {
				// mm = T P
				for i := 0; i < r; i++ {
					for j := 0; j < rd; j++ {
						tmp := 0.0
						if i < p {
							tmp += phi[i] * P[rd*j]
						}
						if i < r-1 {
							tmp += P[i+1+rd*j]
						}
						mm[i+rd*j] = tmp
					}
				}
				for j := 0; j < rd; j++ {
					tmp := P[rd*j]
					for k := 0; k < d; k++ {
						tmp += delta[k] * P[r+k+rd*j]
					}
					mm[r+rd*j] = tmp
				}
				for i := 1; i < d; i++ {
					for j := 0; j < rd; j++ {
						mm[r+i+rd*j] = P[r+i-1+rd*j]
					}
				}
				// Pnew = mm T'
				for i := 0; i < r; i++ {
					for j := 0; j < rd; j++ {
						tmp := 0.0
						if i < p {
							tmp += phi[i] * mm[j]
						}
						if i < r-1 {
							tmp += mm[rd*(i+1)+j]
						}
						Pnew[j+rd*i] = tmp
					}
				}
				for j := 0; j < rd; j++ {
					tmp := mm[j]
					for k := 0; k < d; k++ {
						tmp += delta[k] * mm[rd*(r+k)+j]
					}
					Pnew[j+rd*r] = tmp
				}
				for i := 1; i < d; i++ {
					for j := 0; j < rd; j++ {
						Pnew[j+rd*(r+i)] = mm[rd*(r+i-1)+j]
					}
				}
				for i := 0; i <= q; i++ {
					vi := 1.0
					if i > 0 {
						vi = theta[i-1]
					}
					for j := 0; j <= q; j++ {
						vj := 1.0
						if j > 0 {
							vj = theta[j-1]
						}
						Pnew[i+rd*j] += vi * vj
					}
				}
			}
		}
		if !math.IsNaN(y[l]) {
			resid0 := y[l] - anew[0]
			for i := 0; i < d; i++ {
				resid0 -= delta[i] * anew[r+i]
			}
			for i := 0; i < rd; i++ {
				tmp := Pnew[i]
				for k := 0; k < d; k++ {
					tmp += Pnew[i+rd*(r+k)] * delta[k]
				}
				M[i] = tmp
			}
			gain := M[0]
			for j := 0; j < d; j++ {
				gain += delta[j] * M[r+j]
			}
			if gain < 1e4 {
				nu++
				ssq += resid0 * resid0 / gain
				sumlog += math.Log(gain)
			}
			if resid != nil {
				resid[l] = resid0 / math.Sqrt(gain)
			}
			for i := 0; i < rd; i++ {
				a[i] = anew[i] + M[i]*resid0/gain
			}
			for i := 0; i < rd; i++ {
				for j := 0; j < rd; j++ {
					P[i+rd*j] = Pnew[i+rd*j] - M[i]*M[j]/gain
				}
			}
		} else {
			copy(a, anew)
			copy(P, Pnew)
			if resid != nil {
				resid[l] = math.NaN()
			}
		}
	}
	return ssq, sumlog, nu
}

// css returns the conditional sum of squares of the model on y divided
// by the number of terms (R's ARIMA_CSS): y is differenced, the first
// ncond innovations are taken as zero and the rest follow from the ARMA
// recursion. w and resid need len(y).
func css(y []float64, o Order, phi, theta []float64, nzPhi, nzTheta []int, ncond int, w, resid []float64) float64 {
	n := len(y)
	copy(w, y)
	for i := 0; i < o.D; i++ {
		for l := n - 1; l > 0; l-- {
			w[l] -= w[l-1]
		}
	}
	ns := o.ns()
	for i := 0; i < o.SD && ns > 0; i++ {
		for l := n - 1; l >= ns; l-- {
			w[l] -= w[l-ns]
		}
	}
	for l := 0; l < ncond && l < n; l++ {
		resid[l] = 0
	}
	// Seasonal polynomials are mostly zeros: loop over the structural
	// non-zeros only (nzPhi, nzTheta are ascending lags, 0-based).
	ssq, nu := 0.0, 0
	for l := ncond; l < n; l++ {
		tmp := w[l]
		for _, j := range nzPhi {
			tmp -= phi[j] * w[l-j-1]
		}
		lim := l - ncond
		for _, j := range nzTheta {
			if j >= lim {
				break
			}
			tmp -= theta[j] * resid[l-j-1]
		}
		resid[l] = tmp
		if !math.IsNaN(tmp) {
			nu++
			ssq += tmp * tmp
		}
	}
	return ssq / float64(nu)
}

// cssDiff is css on the already differenced series w, with ncond counted
// from the start of w (R's ncond minus the number of differences); off
// is subtracted from every AR-filtered term (see fitter.diffX). It is
// the inner loop of the stepwise search, so it runs over the structural
// non-zeros only and splits off the first steps, where the MA recursion
// is still truncated, so that the main loop needs no bounds logic. w has
// no missing values (Fit rejects them), so every term counts.
func cssDiff(w []float64, off float64, phi, theta []float64, nzPhi, nzTheta []int, ncond int, resid []float64) float64 {
	n := len(w)
	if ncond >= n {
		return math.NaN()
	}
	for l := 0; l < ncond; l++ {
		resid[l] = 0
	}
	maxq := 0
	if len(nzTheta) > 0 {
		maxq = nzTheta[len(nzTheta)-1] + 1
	}
	ssq := 0.0
	warm := min(n, ncond+maxq)
	for l := ncond; l < warm; l++ {
		tmp := w[l] - off
		for _, j := range nzPhi {
			tmp -= phi[j] * w[l-j-1]
		}
		lim := l - ncond
		for _, j := range nzTheta {
			if j >= lim {
				break
			}
			tmp -= theta[j] * resid[l-j-1]
		}
		resid[l] = tmp
		ssq += tmp * tmp
	}
	switch {
	case len(nzPhi) == 1 && len(nzTheta) == 0:
		// AR-only fast path is common in the search (e.g. ARIMA(1,d,0)).
		j := nzPhi[0]
		c := phi[j]
		for l := warm; l < n; l++ {
			tmp := w[l] - off - c*w[l-j-1]
			resid[l] = tmp
			ssq += tmp * tmp
		}
	case len(nzPhi) <= 16 && len(nzTheta) <= 16:
		// Gather the non-zero coefficients next to their lags so the
		// inner loops read two small arrays instead of indexing the
		// expanded polynomials (about 15% faster).
		//
		// The MA terms are subtracted in descending lag order, lag 1
		// last. The recursion is latency-bound: resid[l] waits on
		// resid[l-1], and in ascending order that wait spans a multiply
		// and all nq chained subtractions (~50 cycles for an
		// ARIMA(0,1,3)(0,0,2)[7]). Lag-first-last leaves one multiply
		// and one subtraction on the loop-carried path, and a term of
		// lag j sits at most j subtractions from the end, so no older
		// residual becomes the bottleneck either. This reorders a sum,
		// so the result moves in the last bits only; the golden tests
		// check that the search still chooses R's models.
		var pc, tc [16]float64
		var pl, tl [16]int
		np, nq := len(nzPhi), len(nzTheta)
		for k, j := range nzPhi {
			pc[k], pl[k] = phi[j], j+1
		}
		for k, j := range nzTheta {
			tc[nq-1-k], tl[nq-1-k] = theta[j], j+1
		}
		for l := warm; l < n; l++ {
			tmp := w[l] - off
			for k := 0; k < np; k++ {
				tmp -= pc[k] * w[l-pl[k]]
			}
			for k := 0; k < nq; k++ {
				tmp -= tc[k] * resid[l-tl[k]]
			}
			resid[l] = tmp
			ssq += tmp * tmp
		}
	default:
		// As above, MA terms in descending lag order.
		for l := warm; l < n; l++ {
			tmp := w[l] - off
			for _, j := range nzPhi {
				tmp -= phi[j] * w[l-j-1]
			}
			for k := len(nzTheta) - 1; k >= 0; k-- {
				j := nzTheta[k]
				tmp -= theta[j] * resid[l-j-1]
			}
			resid[l] = tmp
			ssq += tmp * tmp
		}
	}
	return ssq / float64(n-ncond)
}

// transition writes T a into anew: the ARMA part of the state shifts and
// takes the AR terms, the differencing part (when there is one) takes the
// new level and shifts. It is the step both the filter and the forecast
// take; len(anew) = len(a) = r + len(delta).
func transition(anew, a, phi, delta []float64, r int) {
	p, d, rd := len(phi), len(delta), len(a)
	for i := 0; i < r; i++ {
		tmp := 0.0
		if i < r-1 {
			tmp = a[i+1]
		}
		if i < p {
			tmp += phi[i] * a[0]
		}
		anew[i] = tmp
	}
	if d > 0 {
		for i := r + 1; i < rd; i++ {
			anew[i] = a[i-1]
		}
		tmp := a[0]
		for i := 0; i < d; i++ {
			tmp += delta[i] * a[r+i]
		}
		anew[r] = tmp
	}
}

// forecastState advances a copy of the filtered state h steps with no
// new observations and writes Z a for each step into dst (R's
// KalmanForecast, point forecasts only).
func forecastState(dst, state, phi, delta []float64, r int) {
	rd := len(state)
	a := append([]float64(nil), state...)
	anew := make([]float64, rd)
	for h := range dst {
		transition(anew, a, phi, delta, r)
		a, anew = anew, a
		fc := a[0]
		for i := range delta {
			fc += delta[i] * a[r+i]
		}
		dst[h] = fc
	}
}

// chandrasekhar returns what likelihood returns for a filter without
// differencing (d = 0), started from the stationary prior, by the
// Chandrasekhar recursions (Morf, Sidhu and Kailath 1974; Herbst 2015)
// instead of the Riccati equation. For a time-invariant model the
// change of the predicted state covariance, P_{t+1} - P_t = W_t M_t W_t',
// has rank one for a univariate series started at the stationary
// covariance, so with K_t = T P_t Z' and F_t = Z P_t Z':
//
//	F_{t+1} = F_t + M_t z^2,            z = W_t[0]
//	K_{t+1} = K_t + M_t z T W_t
//	M_{t+1} = M_t + M_t^2 z^2 / F_t
//	W_{t+1} = T W_t - K_{t+1} z / F_{t+1}
//
// from W_1 = K_1, M_1 = -1/F_1. Each step costs O(r) instead of O(r^2),
// and only the first column of Q0 is needed. The likelihood equals the
// Kalman filter's to rounding (tested); it is used for the
// optimisation, where seasonal models near the invertibility boundary
// never reach a steady state and the Riccati filter costs O(n r^2).
// The series is y - shift. f.a receives the predicted state for the step
// after the last.
func (f *filter) chandrasekhar(y []float64, shift float64, phi []float64, nzPhi []int) (ssq, sumlog float64, nu int, ok bool) {
	r := f.r
	// Reuse the covariance scratch: K, W and T W as vectors.
	K, W, TW := f.m, f.pm[:r], f.pnew[:r]
	a := f.a
	c := f.c
	F := c[0]
	if !(F > 0) {
		return 0, 0, 0, false
	}
	// K = T c, W = K, M = -1/F.
	copy(K[:r-1], c[1:r])
	K[r-1] = 0
	for _, i := range nzPhi {
		K[i] += phi[i] * c[0]
	}
	copy(W, K[:r])
	M := -1 / F
	for i := 0; i < r; i++ {
		a[i] = 0
	}
	moving := true
	// log F is summed as the log of running products, flushed before
	// they can overflow (F >= 1 in units of the innovation variance, so
	// the product only grows): one Log per 32 steps instead of per step.
	prod, inProd := 1.0, 0
	a, K, W, TW = a[:r], K[:r], W[:r], TW[:r]
	for _, yt := range y {
		v := yt - shift - a[0]
		ssq += v * v / F
		prod *= F
		inProd++
		if inProd == 32 || prod > 1e200 {
			sumlog += math.Log(prod)
			prod, inProd = 1, 0
		}
		nu++
		// a <- T a + K v / F, in place: the shift reads a[i+1] before
		// it is overwritten.
		s := v / F
		a0 := a[0]
		for i := 0; i < r-1; i++ {
			a[i] = a[i+1] + K[i]*s
		}
		a[r-1] = K[r-1] * s
		for _, i := range nzPhi {
			a[i] += phi[i] * a0
		}
		if !moving {
			continue
		}
		z := W[0]
		mz2 := M * z * z
		Fn := F + mz2
		if !(Fn > 0) {
			return 0, 0, 0, false
		}
		// TW = T W.
		copy(TW[:r-1], W[1:r])
		TW[r-1] = 0
		for _, i := range nzPhi {
			TW[i] += phi[i] * z
		}
		mz := M * z
		M += M * mz2 / F
		zf := z / Fn
		wmax := 0.0
		for i := range TW {
			k := K[i] + mz*TW[i]
			K[i] = k
			wi := TW[i] - k*zf
			W[i] = wi
			if wi < 0 {
				wi = -wi
			}
			if wi > wmax {
				wmax = wi
			}
		}
		F = Fn
		// Once the covariance has stopped moving (the whole of
		// M W W', not just its first element, which seasonal models
		// keep at zero for long stretches), K and F are the
		// steady-state gain and the updates would add only rounding.
		if math.Abs(M)*wmax*wmax < 1e-14*F {
			moving = false
		}
	}
	sumlog += math.Log(prod)
	return ssq, sumlog, nu, true
}

// nonzeroLags lists the lags (0-based indices into the expanded phi or
// theta) that the order can make non-zero: 0..p-1, and for each seasonal
// lag j*m the lags j*m-1 .. j*m+p-1.
func nonzeroLags(p, sp, ns, n int) []int {
	mark := make([]bool, n)
	for i := 0; i < p && i < n; i++ {
		mark[i] = true
	}
	for j := 1; j <= sp; j++ {
		for i := -1; i < p; i++ {
			if k := j*ns + i; k >= 0 && k < n {
				mark[k] = true
			}
		}
	}
	var out []int
	for i, v := range mark {
		if v {
			out = append(out, i)
		}
	}
	return out
}

// Orders up to which cssFactored applies: auto.arima's defaults (max.p =
// max.q = 5, max.P = max.Q = 2) and so every model of the search.
const (
	factoredMaxPQ = 5
	factoredMaxS  = 2
)

// cssFactored is cssDiff for the search's orders (p, q <= 5, P, Q <= 2),
// written for speed, which matters because the search spends ~80% of
// its time here: ~30 candidates × ~200 objective evaluations each.
//
// It keeps the seasonal polynomials factored. The AR filter is applied
// as Φ(B^m) then φ(B), and the MA recursion is solved as θ(B) v = u then
// Θ(B^m) e = v, instead of multiplying them out: p+P+q+Q terms a step
// instead of (p+P+pP)+(q+Q+qQ). The two are the same recursion: with
// e = 0 before ncond, v = Θ(B^m) e is 0 there too, and θ(B)Θ(B^m) e = u
// from ncond on, so e is cssDiff's residual, summed in another order
// (the last bits differ; TestCSSFactored bounds it at 1e-12 relative).
//
// The non-seasonal MA recursion, the latency-bound part, keeps its last
// five v in registers rather than reloading them from memory, and every
// polynomial is padded with zero coefficients to the maximum order so
// that the loop has no inner loops or branches (a zero coefficient times
// a finite value subtracts an exact zero). That runs about 3x faster
// than cssDiff's gathered loops on the ARIMA(0,1,3)(0,0,2)[7] of a
// typical search.
//
// par holds the raw coefficients (ar, ma, sar, sma; CSS does not
// transform them); shift is subtracted from every w, as in cssDiff, via
// its AR-filtered constant. a needs len(w)+5 and e len(w)+2m.
func cssFactored(w []float64, shift float64, o Order, par []float64, a, e []float64) float64 {
	n := len(w)
	m := o.ns()
	p, q, sp, sq := o.P, o.Q, o.SP, o.SQ
	ncond := p + sp*m
	if ncond >= n {
		return math.NaN()
	}
	var ph, th [factoredMaxPQ]float64
	var sph, sth [factoredMaxS]float64
	copy(ph[:], par[:p])
	copy(th[:], par[p:p+q])
	copy(sph[:], par[p+q:p+q+sp])
	copy(sth[:], par[p+q+sp:p+q+sp+sq])
	// φ(1)Φ(1) shift is what the two AR filters make of the constant.
	off := shift * (1 - sph[0] - sph[1]) * (1 - ph[0] - ph[1] - ph[2] - ph[3] - ph[4])

	// a = Φ(B^m) w, stored 5 places on so that the padded AR terms
	// read zeros, not stale values (0 × NaN would be NaN).
	const ap = factoredMaxPQ
	a = a[:n+ap]
	from := sp * m
	clear(a[:ap+from])
	switch sp {
	case 0:
		copy(a[ap:], w)
	case 1:
		for l := from; l < n; l++ {
			a[ap+l] = w[l] - sph[0]*w[l-m]
		}
	default:
		for l := from; l < n; l++ {
			a[ap+l] = w[l] - sph[1]*w[l-2*m] - sph[0]*w[l-m]
		}
	}

	// e is stored 2m places on, zero before ncond (the conditioning).
	ep := factoredMaxS * m
	e = e[:n+ep]
	clear(e[:ep+ncond])
	ssq := 0.0
	// e1[l] is e[l-m] and e2[l] is e[l-2m]; slicing the AR window to a
	// fixed length lets the compiler drop its bounds checks. Most of the
	// search's models have p, q <= 2, which get a loop with half the
	// terms.
	e1, e2, e0 := e[ep-m:], e[ep-2*m:], e[ep:]
	if p <= 2 && q <= 2 {
		var v1, v2 float64
		for l := ncond; l < n; l++ {
			x := a[l+ap-2 : l+ap+1]
			t := x[2] - off - ph[1]*x[0] - ph[0]*x[1]
			t = t - th[1]*v2 - th[0]*v1
			v2, v1 = v1, t
			t = t - sth[1]*e2[l] - sth[0]*e1[l]
			e0[l] = t
			ssq += t * t
		}
		return ssq / float64(n-ncond)
	}
	var v1, v2, v3, v4, v5 float64
	for l := ncond; l < n; l++ {
		x := a[l : l+ap+1]
		t := x[5] - off - ph[4]*x[0] - ph[3]*x[1] - ph[2]*x[2] - ph[1]*x[3] - ph[0]*x[4]
		t = t - th[4]*v5 - th[3]*v4 - th[2]*v3 - th[1]*v2 - th[0]*v1
		v5, v4, v3, v2, v1 = v4, v3, v2, v1, t
		t = t - sth[1]*e2[l] - sth[0]*e1[l]
		e0[l] = t
		ssq += t * t
	}
	return ssq / float64(n-ncond)
}
