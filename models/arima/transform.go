package arima

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/mat"
)

// partrans maps p unconstrained values to the coefficients of a
// stationary AR(p) polynomial: tanh gives partial autocorrelations in
// (-1, 1) and the Durbin-Levinson recursion turns them into AR
// coefficients (R's partrans in arima.c). work needs length p.
func partrans(raw, dst, work []float64) {
	p := len(raw)
	for j := 0; j < p; j++ {
		dst[j] = math.Tanh(raw[j])
		work[j] = dst[j]
	}
	for j := 1; j < p; j++ {
		a := dst[j]
		for k := 0; k < j; k++ {
			work[k] -= a * dst[j-k-1]
		}
		copy(dst[:j], work[:j])
	}
}

// invpartrans inverts partrans (R's invpartrans). It reports false when
// phi is not stationary, in which case dst holds garbage.
func invpartrans(phi, dst, work []float64) bool {
	p := len(phi)
	copy(dst, phi[:p])
	copy(work, phi[:p])
	for j := p - 1; j > 0; j-- {
		a := dst[j]
		if math.Abs(a) >= 1 {
			return false
		}
		for k := 0; k < j; k++ {
			work[k] = (dst[k] + a*dst[j-k-1]) / (1 - a*a)
		}
		copy(dst[:j], work[:j])
	}
	for j := 0; j < p; j++ {
		if math.Abs(dst[j]) >= 1 {
			return false
		}
		dst[j] = math.Atanh(dst[j])
	}
	return true
}

// transPars expands the coefficients par (ar, ma, sar, sma, then
// regression coefficients, which are ignored) into the multiplied-out
// phi and theta (R's ARIMA_transPars). When trans is true the AR and
// seasonal AR blocks of par are in the partrans parameterisation; tmp
// (len narma) and work (len max(P,SP)) are scratch.
func transPars(o Order, par []float64, trans bool, phi, theta, tmp, work []float64) {
	mp, mq, msp, msq, ns := o.P, o.Q, o.SP, o.SQ, o.ns()
	params := par
	if trans {
		n := mp + mq + msp + msq
		copy(tmp[:n], par[:n])
		if mp > 0 {
			partrans(par[:mp], tmp[:mp], work)
		}
		v := mp + mq
		if msp > 0 {
			partrans(par[v:v+msp], tmp[v:v+msp], work)
		}
		params = tmp
	}
	for i := range phi {
		phi[i] = 0
	}
	for i := range theta {
		theta[i] = 0
	}
	copy(phi, params[:mp])
	copy(theta, params[mp:mp+mq])
	for j := 0; j < msp; j++ {
		s := params[mp+mq+j]
		phi[(j+1)*ns-1] += s
		for i := 0; i < mp; i++ {
			phi[(j+1)*ns+i] -= params[i] * s
		}
	}
	for j := 0; j < msq; j++ {
		s := params[mp+mq+msp+j]
		theta[(j+1)*ns-1] += s
		for i := 0; i < mq; i++ {
			theta[(j+1)*ns+i] += params[mp+i] * s
		}
	}
}

// undoPars maps the AR blocks of par from the partrans parameterisation
// back to coefficients, in place (R's ARIMA_undoPars).
func undoPars(o Order, par []float64) {
	work := make([]float64, max(o.P, o.SP))
	if o.P > 0 {
		raw := append([]float64(nil), par[:o.P]...)
		partrans(raw, par[:o.P], work)
	}
	v := o.P + o.Q
	if o.SP > 0 {
		raw := append([]float64(nil), par[v:v+o.SP]...)
		partrans(raw, par[v:v+o.SP], work)
	}
}

// invTrans is the inverse of undoPars (R's ARIMA_Invtrans); it reports
// false when an AR block is not stationary.
func invTrans(o Order, par []float64) bool {
	work := make([]float64, max(o.P, o.SP))
	if o.P > 0 {
		raw := append([]float64(nil), par[:o.P]...)
		if !invpartrans(raw, par[:o.P], work) {
			return false
		}
	}
	v := o.P + o.Q
	if o.SP > 0 {
		raw := append([]float64(nil), par[v:v+o.SP]...)
		if !invpartrans(raw, par[v:v+o.SP], work) {
			return false
		}
	}
	return true
}

// arCheck reports whether 1 - ar_1 z - ... - ar_p z^p has all its roots
// outside the unit circle (R's arCheck), via the Schur-Cohn / Durbin-
// Levinson test, which needs no root finding.
func arCheck(ar []float64) bool {
	p := len(ar)
	for p > 0 && ar[p-1] == 0 {
		p--
	}
	if p == 0 {
		return true
	}
	dst := make([]float64, p)
	work := make([]float64, p)
	return invpartrans(ar[:p], dst, work)
}

// maInvert reflects the roots of 1 + ma_1 z + ... inside the unit circle
// to make the MA part invertible (R's maInvert), in place.
func maInvert(ma []float64) {
	q0 := len(ma)
	for q0 > 0 && ma[q0-1] == 0 {
		q0--
	}
	if q0 == 0 {
		return
	}
	coef := make([]float64, q0+1)
	coef[0] = 1
	copy(coef[1:], ma[:q0])
	roots, ok := polyRoots(coef)
	if !ok {
		return
	}
	any := false
	for _, r := range roots {
		if cmplx.Abs(r) < 1 {
			any = true
		}
	}
	if !any {
		return
	}
	if q0 == 1 {
		ma[0] = 1 / ma[0]
		return
	}
	for i, r := range roots {
		if cmplx.Abs(r) < 1 {
			roots[i] = 1 / r
		}
	}
	x := []complex128{1}
	for _, r := range roots {
		nx := make([]complex128, len(x)+1)
		copy(nx, x)
		for i := range x {
			nx[i+1] -= x[i] / r
		}
		x = nx
	}
	for i := 0; i < q0; i++ {
		ma[i] = real(x[i+1])
	}
}

// polyRoots returns the roots of c[0] + c[1] z + ... + c[n] z^n (c[n] != 0)
// as the eigenvalues of the companion matrix.
func polyRoots(c []float64) ([]complex128, bool) {
	n := len(c) - 1
	for n > 0 && c[n] == 0 {
		n--
	}
	if n == 0 {
		return nil, true
	}
	if n == 1 {
		return []complex128{complex(-c[0]/c[1], 0)}, true
	}
	comp := mat.NewDense(n, n, nil)
	for j := 0; j < n; j++ {
		comp.Set(0, j, -c[n-1-j]/c[n])
	}
	for i := 1; i < n; i++ {
		comp.Set(i, i-1, 1)
	}
	var eig mat.Eigen
	if !eig.Factorize(comp, mat.EigenNone) {
		return nil, false
	}
	return eig.Values(nil), true
}

// minRootModulus returns the smallest modulus of the roots of
// 1 + sign*(c_1 z + ... ), trimming coefficients below 1e-8 at the end as
// forecast's myarima does; 2 when there is no root (myarima's default).
func minRootModulus(c []float64, sign float64) (float64, bool) {
	last := -1
	for i, v := range c {
		if math.Abs(v) > 1e-8 {
			last = i
		}
	}
	if last < 0 {
		return 2, true
	}
	poly := make([]float64, last+2)
	poly[0] = 1
	for i := 0; i <= last; i++ {
		poly[i+1] = sign * c[i]
	}
	roots, ok := polyRoots(poly)
	if !ok {
		return 0, false
	}
	m := 2.0
	for _, r := range roots {
		m = math.Min(m, cmplx.Abs(r))
	}
	return m, true
}
