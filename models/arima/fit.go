package arima

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Errors returned for series a model cannot be fitted to.
var (
	// ErrTooShort means the series has no observations left after
	// differencing, or fewer than the model has parameters.
	ErrTooShort = errors.New("arima: series too short")
	// ErrNonStationary means the CSS start of a CSS-ML fit has a
	// non-stationary AR part (R stops with the same complaint).
	ErrNonStationary = errors.New("arima: non-stationary AR part from CSS")
	// ErrFit means the optimiser or the likelihood broke down.
	ErrFit = errors.New("arima: fit failed")
	// ErrSingular means the regressors (with the mean or drift) are
	// linearly dependent, so their coefficients are not identified (R's
	// lm gives NA coefficients and arima fails).
	ErrSingular = errors.New("arima: regressors are linearly dependent")
)

// Method is the estimation method.
type Method int

const (
	// CSSML starts from the conditional-sum-of-squares estimate and then
	// maximises the exact likelihood (R's default "CSS-ML").
	CSSML Method = iota
	// ML maximises the exact likelihood from zero starting values.
	ML
	// CSS minimises the conditional sum of squares only; it is fast and
	// is what Auto uses to compare candidates on long series.
	CSS
)

func (m Method) String() string {
	switch m {
	case CSSML:
		return "CSS-ML"
	case ML:
		return "ML"
	case CSS:
		return "CSS"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Settings controls Fit. A nil *Settings means DefaultSettings().
type Settings struct {
	// IncludeMean estimates a mean when the model has no differencing
	// (R's include.mean; default true in DefaultSettings).
	IncludeMean bool
	// IncludeDrift estimates a linear trend when the model has exactly
	// one difference (d+D == 1), as forecast::Arima's include.drift. It
	// is ignored for other orders, where R's auto.arima never uses it.
	IncludeDrift bool
	// Method is the estimation method; the zero value is CSSML.
	Method Method
	// MaxIter caps the BFGS iterations of each optimisation; 0 means
	// 100, R's default.
	MaxIter int
	// Kappa is the prior variance of the differenced states; 0 means
	// 1e6, R's default.
	Kappa float64
}

// DefaultSettings returns R's defaults: a mean for undifferenced models,
// no drift, CSS-ML.
func DefaultSettings() *Settings { return &Settings{IncludeMean: true} }

// Model is a fitted seasonal ARIMA model. Its fields are exported so that
// it round-trips through encoding/json; treat them as read-only.
type Model struct {
	Order Order `json:"order"`
	// Coef holds ar1..arP, ma1..maQ, sar1..sarSP, sma1..smaSQ.
	Coef []float64 `json:"coef"`
	// HasMean and Mean: the model is for y - Mean (R's "intercept").
	HasMean bool    `json:"has_mean,omitempty"`
	Mean    float64 `json:"mean,omitempty"`
	// HasDrift and Drift: the model is for y_t - Drift*t, t = 1, 2, ...
	// over the history it was fitted or refiltered on. The differencing
	// absorbs the intercept of the line, so only the slope matters.
	HasDrift bool    `json:"has_drift,omitempty"`
	Drift    float64 `json:"drift,omitempty"`
	// XReg holds the coefficients of the regressors given to FitXReg or
	// AutoXReg, in their column order: the model is for
	// y - Mean - Drift*t - sum_j XReg[j]*xreg[j] (R's regression with
	// ARIMA errors). Forecasts then need the regressors' future values
	// (ForecastXReg) and a refilter their history (RefilterXReg).
	XReg []float64 `json:"xreg,omitempty"`

	// Sigma2 is the innovation variance (forecast::Arima's, with a
	// degree of freedom per coefficient); LogLik the Gaussian
	// log-likelihood; AIC, AICc and BIC the information criteria as
	// forecast::Arima reports them. All four are zero for CSS fits (R
	// reports NA), so that the model stays JSON-serialisable.
	Sigma2 float64 `json:"sigma2"`
	LogLik float64 `json:"loglik"`
	AIC    float64 `json:"aic"`
	AICc   float64 `json:"aicc"`
	BIC    float64 `json:"bic"`
	// VarCoef is the estimated covariance matrix of Coef followed by
	// Mean or Drift and then XReg (row-major, R's coef order), from the
	// numerical Hessian as in R.
	VarCoef []float64 `json:"var_coef,omitempty"`
	// NObs is the number of observations after differencing.
	NObs   int    `json:"nobs"`
	Method string `json:"method"`

	// Phi and Theta are the multiplied-out AR and MA polynomials and
	// Delta the differencing operator, as in R's model$phi etc.
	Phi   []float64 `json:"phi"`
	Theta []float64 `json:"theta"`
	Delta []float64 `json:"delta"`
	Kappa float64   `json:"kappa"`
	// State is the Kalman state after the last observation of the
	// history of length N, from which Forecast extrapolates.
	State []float64 `json:"state"`
	N     int       `json:"n"`
}

// fitter holds the series and scratch space of one Fit, so that the
// optimiser's thousands of objective evaluations allocate nothing.
type fitter struct {
	o Order
	y []float64 // the series
	// xreg holds the regressor columns: the mean or drift column, then
	// the user's; rotated by rot when there are two or more (see
	// rotateXReg).
	xreg   [][]float64
	rot    []float64 // k x k rotation V (row-major), nil when not rotated
	x      []float64 // y minus the regression, scratch
	delta  []float64
	phi    []float64
	theta  []float64
	tmp    []float64
	work   []float64
	coef   []float64 // full parameter vector (ARMA then regression)
	w, res []float64 // CSS scratch
	ncond  int
	kappa  float64
	filt   *filter   // R's filter, with the differencing in the state
	sfilt  *filter   // the ARMA filter of the differenced series
	dw     []float64 // the differenced series, scratch
	nzPhi  []int     // structurally non-zero lags of phi and theta
	nzTh   []int
	dy     []float64 // the differenced series and regressors, computed once
	fa, fe []float64 // cssFactored scratch; nil when the order is too large
	dxreg  [][]float64
	// dxConst: there is one regressor and it differences to a constant
	// (always, for a mean or a drift alone).
	dxConst bool
	nused   int // observations after differencing
	drift   bool
	mean    bool
}

func newFitter(y []float64, o Order, xreg [][]float64, kappa float64) *fitter {
	narma := o.narma()
	nreg := len(xreg)
	ft := &fitter{
		o: o, y: y, xreg: xreg, x: make([]float64, len(y)), delta: o.delta(),
		phi: make([]float64, o.expandedP()), theta: make([]float64, o.expandedQ()),
		tmp: make([]float64, narma), work: make([]float64, max(o.P, o.SP, 1)),
		coef: make([]float64, narma+nreg), w: make([]float64, len(y)), res: make([]float64, len(y)),
		kappa: kappa,
	}
	ft.filt = newFilter(len(ft.phi), len(ft.theta), len(ft.delta))
	ft.sfilt = newFilter(len(ft.phi), len(ft.theta), 0)
	ft.dw = make([]float64, len(y))
	ft.nzPhi = nonzeroLags(o.P, o.SP, o.ns(), len(ft.phi))
	ft.nzTh = nonzeroLags(o.Q, o.SQ, o.ns(), len(ft.theta))
	ft.dy = difference(y, o)
	if o.P <= factoredMaxPQ && o.Q <= factoredMaxPQ && o.SP <= factoredMaxS && o.SQ <= factoredMaxS {
		ft.fa = make([]float64, len(y)+factoredMaxPQ)
		ft.fe = make([]float64, len(y)+factoredMaxS*o.ns())
	}
	if nreg > 0 {
		ft.dxreg = make([][]float64, nreg)
		for j, col := range xreg {
			ft.dxreg[j] = difference(col, o)
		}
		ft.dxConst = nreg == 1 && len(ft.dxreg[0]) > 0 && isConstant(ft.dxreg[0])
	}
	return ft
}

// regress sets x = y - xreg beta.
func (ft *fitter) regress(par []float64) {
	copy(ft.x, ft.y)
	beta := par[ft.o.narma():]
	for j, col := range ft.xreg {
		b := beta[j]
		for i, v := range col {
			ft.x[i] -= b * v
		}
	}
}

// diffX returns the differenced series minus the differenced regression,
// (1-B)^d (1-B^m)^D (y - xreg beta), as the differenced series w and a
// constant shift s with the result w - s. A lone mean (d+D = 0) or drift
// (d+D = 1) differences to a constant, so the shift is beta times that
// constant and no pass over the series is needed; general regressors are
// subtracted into scratch, which the CSS kernels and the likelihood then
// read as they read the series.
func (ft *fitter) diffX(par []float64) (w []float64, shift float64) {
	if len(ft.xreg) == 0 {
		return ft.dy, 0
	}
	beta := par[ft.o.narma():]
	if ft.dxConst {
		return ft.dy, beta[0] * ft.dxreg[0][0]
	}
	w = ft.dw[:len(ft.dy)]
	if len(ft.dxreg) == 1 {
		b, dx := beta[0], ft.dxreg[0]
		for i, v := range ft.dy {
			w[i] = v - b*dx[i]
		}
		return w, 0
	}
	copy(w, ft.dy)
	for j, dx := range ft.dxreg {
		b := beta[j]
		for i := range w {
			w[i] -= b * dx[i]
		}
	}
	return w, 0
}

// cssObjective is R's armaCSS: half the log of the conditional mean square.
func (ft *fitter) cssObjective(par []float64) float64 {
	w, shift := ft.diffX(par)
	if ft.fa != nil {
		return 0.5 * math.Log(cssFactored(w, shift, ft.o, par, ft.fa, ft.fe))
	}
	transPars(ft.o, par, false, ft.phi, ft.theta, ft.tmp, ft.work)
	nd := len(ft.y) - len(ft.dy)
	// The AR filter maps the constant shift to shift*(1 - sum phi).
	off := shift
	for _, j := range ft.nzPhi {
		off -= shift * ft.phi[j]
	}
	return 0.5 * math.Log(cssDiff(w, off, ft.phi, ft.theta, ft.nzPhi, ft.nzTh, ft.ncond-nd, ft.res))
}

// mlObjective is R's armafn: the concentrated negative log-likelihood
// per observation.
//
// R filters the undifferenced series with the differencing in the state
// and a diffuse prior, then drops the first d innovations. That equals
// (up to O(1/kappa)) the exact likelihood of the differenced series
// under the stationary ARMA prior, which we compute instead: the state
// is d smaller (24 smaller for a seasonal difference of hourly data),
// and the Chandrasekhar recursions make each step O(r) instead of R's
// O(r^2). The final state for forecasting still comes from R's filter.
func (ft *fitter) mlObjective(par []float64, trans bool) float64 {
	transPars(ft.o, par, trans, ft.phi, ft.theta, ft.tmp, ft.work)
	if !ft.sfilt.q0col(ft.phi, ft.theta) {
		return math.MaxFloat64
	}
	w, shift := ft.diffX(par)
	ssq, sumlog, nu, ok := ft.sfilt.chandrasekhar(w, shift, ft.phi, ft.nzPhi)
	if !ok {
		return math.MaxFloat64
	}
	s2 := ssq / float64(nu)
	return 0.5 * (math.Log(s2) + sumlog/float64(nu))
}

// differenceInto writes y differenced by o's operators into dst and
// returns the len(y)-d valid values, without allocating.
func differenceInto(dst, y []float64, o Order) []float64 {
	x := dst[:len(y)]
	copy(x, y)
	for i := 0; i < o.D; i++ {
		for l := len(x) - 1; l > 0; l-- {
			x[l] -= x[l-1]
		}
		x = x[1:]
	}
	if ns := o.ns(); ns > 0 {
		for i := 0; i < o.SD; i++ {
			if len(x) <= ns {
				return x[:0]
			}
			for l := len(x) - 1; l >= ns; l-- {
				x[l] -= x[l-ns]
			}
			x = x[ns:]
		}
	}
	return x
}

// Fit estimates an ARIMA model of the given order on y as R's
// stats::arima does (forecast::Arima when s.IncludeDrift). y must have no
// missing values. It panics on an invalid order and returns an error
// wrapping ErrTooShort, ErrNonStationary or ErrFit when the data do not
// allow a fit, or ctx.Err() when ctx ends first.
func Fit(ctx context.Context, y []float64, o Order, s *Settings) (*Model, error) {
	return FitXReg(ctx, y, nil, o, s)
}

// FitXReg is Fit with regressors: a regression of y on the columns of
// xreg (each of len(y)) with ARIMA errors, as R's
// forecast::Arima(y, order, seasonal, xreg = X) and
// stats::arima(..., xreg = X). The mean or drift of s is estimated
// alongside, as R does. With two or more regression columns (the mean
// or drift counts) the columns are rotated by the right singular vectors
// of their matrix while optimising and the estimates rotated back, as R
// does for conditioning; the model's XReg holds the coefficients of the
// original columns. It panics when a column's length differs from y's
// and returns an error wrapping ErrSingular when the regressors are
// linearly dependent (on the differenced series, or on the series itself
// when they difference to zero).
func FitXReg(ctx context.Context, y []float64, xreg [][]float64, o Order, s *Settings) (*Model, error) {
	if s == nil {
		s = DefaultSettings()
	}
	return fit(ctx, y, xreg, o, s, true)
}

// prepare validates the series and builds the fitter, the starting
// values and the parameter scales of a fit, as stats::arima does before
// optimising.
func prepare(y []float64, user [][]float64, o Order, s *Settings) (ft *fitter, init, scale []float64, err error) {
	n := len(y)
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, nil, fmt.Errorf("%v: %w: series has missing or infinite values", o, ErrFit)
		}
	}
	for j, col := range user {
		if len(col) != n {
			panic(fmt.Sprintf("arima: regressor %d has %d values for a series of %d", j, len(col), n))
		}
		for _, v := range col {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, nil, fmt.Errorf("%v: %w: regressor %d has missing or infinite values", o, ErrFit, j)
			}
		}
	}
	narma := o.narma()
	nd := o.D + o.SD
	nused := n - len(o.delta())
	// The regression columns in R's order: intercept or drift, then the
	// user's.
	var xreg [][]float64
	drift := s.IncludeDrift && nd == 1
	mean := s.IncludeMean && nd == 0
	if drift {
		col := make([]float64, n)
		for i := range col {
			col[i] = float64(i + 1)
		}
		xreg = append(xreg, col)
	} else if mean {
		col := make([]float64, n)
		for i := range col {
			col[i] = 1
		}
		xreg = append(xreg, col)
	}
	xreg = append(xreg, user...)
	npar := narma + len(xreg)
	if nused <= 0 || nused <= npar {
		return nil, nil, nil, fmt.Errorf("%v: %w: %d observations, %d after differencing", o, ErrTooShort, n, nused)
	}
	kappa := s.Kappa
	if kappa == 0 {
		kappa = 1e6
	}
	var rot []float64
	if len(xreg) >= 2 {
		xreg, rot, err = rotateXReg(xreg)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%v: %w", o, err)
		}
	}
	ft = newFitter(y, o, xreg, kappa)
	ft.nused, ft.drift, ft.mean, ft.rot = nused, drift, mean, rot

	// Starting values and scales: zeros for the ARMA part; for the
	// regression, least squares on the differenced series with scale
	// 10 standard errors, as R does.
	init = make([]float64, npar)
	scale = make([]float64, npar)
	for i := range scale {
		scale[i] = 1
	}
	switch len(xreg) {
	case 0:
	case 1:
		beta, se, ok := diffRegression(y, xreg[0], o)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%v: %w: regression on the differenced series failed", o, ErrFit)
		}
		init[narma] = beta
		scale[narma] = 10 * se
		if !(scale[narma] > 0) {
			// A constant differenced series: R's optim would divide by
			// zero; any positive scale gives the same optimum.
			scale[narma] = 1
		}
	default:
		beta, se, err := diffRegressionMulti(y, xreg, o)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%v: %w", o, err)
		}
		for j := range beta {
			init[narma+j] = beta[j]
			scale[narma+j] = 10 * se[j]
			if !(scale[narma+j] > 0) {
				scale[narma+j] = 1
			}
		}
	}
	return ft, init, scale, nil
}

// setVariance computes m.VarCoef, the covariance of the estimates from
// the numerical Hessian of the objective m was fitted with, at m's
// estimates (R's var.coef). It fails, as R's solve does, when the Hessian
// is numerically singular.
func setVariance(y []float64, xreg [][]float64, m *Model, s *Settings) error {
	o := m.Order
	ft, _, scale, err := prepare(y, xreg, o, s)
	if err != nil {
		return err
	}
	opt := newBFGS(len(scale), scale)
	par := append([]float64(nil), m.Coef...)
	switch {
	case m.HasMean:
		par = append(par, m.Mean)
	case m.HasDrift:
		par = append(par, m.Drift)
	}
	par = append(par, m.XReg...)
	if len(par) != len(scale) {
		return fmt.Errorf("%v: %w: settings do not match the model", o, ErrFit)
	}
	// The Hessian is taken where the optimiser worked: in the rotated
	// coordinates, beta_rot = V' beta (V is orthogonal).
	if ft.rot != nil {
		copy(par[o.narma():], rotateCoef(ft.rot, par[o.narma():], true))
	}
	var h, a []float64
	if m.Method == CSS.String() {
		ft.ncond = o.D + o.SD*o.ns() + o.P + o.ns()*o.SP
		h, err = opt.hessian(ft.cssObjective, par)
	} else {
		if !invTrans(o, par) {
			return fmt.Errorf("%v: %w: non-stationary estimate", o, ErrFit)
		}
		h, err = opt.hessian(func(p []float64) float64 { return ft.mlObjective(p, true) }, par)
		a = gradTrans(o, par)
	}
	if err != nil {
		return fitErr(o, err)
	}
	v, err := covariance(h, a, ft.nused)
	if err != nil {
		return fmt.Errorf("%v: %w: %v", o, ErrFit, err)
	}
	if ft.rot != nil {
		v = rotateVar(ft.rot, v, o.narma())
	}
	m.VarCoef = v
	return nil
}

// fit is Fit. full false skips what the stepwise search does not need
// for every candidate: the final pass of R's filter that sets the state
// Forecast starts from, and the Hessian behind VarCoef (the search
// computes it with setVariance only for candidates that could win).
func fit(ctx context.Context, y []float64, xreg [][]float64, o Order, s *Settings, full bool) (*Model, error) {
	o.validate()
	withState := full
	ft, init, scale, err := prepare(y, xreg, o, s)
	if err != nil {
		return nil, err
	}
	n, narma, npar, nused := len(y), o.narma(), len(init), ft.nused
	delta, kappa := ft.delta, ft.kappa
	drift, mean := ft.drift, ft.mean
	maxit := s.MaxIter
	if maxit == 0 {
		maxit = 100
	}
	opt := newBFGS(npar, scale)
	opt.maxit = maxit

	method := s.Method
	var fmin float64
	if method == CSS || method == CSSML {
		ft.ncond = o.D + o.SD*o.ns() + o.P + o.ns()*o.SP
		if ft.ncond >= n {
			return nil, fmt.Errorf("%v: %w: %d observations", o, ErrTooShort, n)
		}
		par := append([]float64(nil), init...)
		v, maxed, err := opt.minimize(ctx, ft.cssObjective, par)
		if err != nil {
			return nil, fitErr(o, err)
		}
		if method == CSS {
			copy(init, par)
			fmin = v
		} else {
			if !maxed {
				copy(init, par)
			}
			if !arCheck(init[:o.P]) || !arCheck(init[o.P+o.Q:o.P+o.Q+o.SP]) {
				return nil, fmt.Errorf("%v: %w", o, ErrNonStationary)
			}
			ft.ncond = 0
		}
	}
	coef := init
	if method != CSS {
		if !invTrans(o, init) {
			return nil, fmt.Errorf("%v: %w: non-stationary AR start", o, ErrFit)
		}
		maInvert(init[o.P : o.P+o.Q])
		maInvert(init[o.P+o.Q+o.SP : narma])
		obj := func(p []float64) float64 { return ft.mlObjective(p, true) }
		v, _, err := opt.minimize(ctx, obj, coef)
		if err != nil {
			return nil, fitErr(o, err)
		}
		fmin = v
		before := append([]float64(nil), coef...)
		maInvert(coef[o.P : o.P+o.Q])
		maInvert(coef[o.P+o.Q+o.SP : narma])
		for i := range coef {
			if coef[i] != before[i] {
				fmin = obj(coef)
				break
			}
		}
		undoPars(o, coef)
	}

	m := &Model{
		Order: o, Coef: append([]float64(nil), coef[:narma]...), NObs: nused,
		Method: method.String(), Delta: delta, Kappa: kappa,
		Phi: make([]float64, len(ft.phi)), Theta: make([]float64, len(ft.theta)),
	}
	// The regression coefficients of the original columns; coef keeps
	// the rotated ones, which go with ft.xreg.
	beta := coef[narma:]
	if ft.rot != nil {
		beta = rotateCoef(ft.rot, beta, false)
	}
	if drift {
		m.HasDrift, m.Drift = true, beta[0]
		beta = beta[1:]
	} else if mean {
		m.HasMean, m.Mean = true, beta[0]
		beta = beta[1:]
	}
	if len(beta) > 0 {
		m.XReg = append([]float64(nil), beta...)
	}
	transPars(o, coef, false, m.Phi, m.Theta, ft.tmp, ft.work)
	ft.regress(coef)
	value := 2*float64(nused)*fmin + float64(nused) + float64(nused)*math.Log(2*math.Pi)
	k := float64(npar)
	if method == CSS {
		ft.ncond = o.D + o.SD*o.ns() + o.P + o.ns()*o.SP
		m.Sigma2 = css(ft.x, o, m.Phi, m.Theta, ft.nzPhi, ft.nzTh, ft.ncond, ft.w, ft.res)
		// R reports NA; zero keeps the model JSON-serialisable.
		m.LogLik, m.AIC = 0, 0
		if withState {
			if !ft.filt.initState(m.Phi, m.Theta, kappa) {
				return nil, fmt.Errorf("%v: %w: non-stationary CSS estimate", o, ErrFit)
			}
			ft.filt.likelihood(ft.x, m.Phi, m.Theta, delta, nil)
		}
	} else {
		// The sum of squares of the exact (differenced) filter at the
		// estimate; R's diffuse filter gives the same to O(1/kappa).
		if !ft.sfilt.q0col(m.Phi, m.Theta) {
			return nil, fmt.Errorf("%v: %w: non-stationary estimate", o, ErrFit)
		}
		w := differenceInto(ft.dw, ft.x, o)
		ssq, _, _, ok := ft.sfilt.chandrasekhar(w, 0, m.Phi, ft.nzPhi)
		if !ok {
			return nil, fmt.Errorf("%v: %w: likelihood failed at the estimate", o, ErrFit)
		}
		// forecast::Arima reports the residual variance with one degree
		// of freedom per estimated coefficient (stats::arima divides by
		// nused).
		m.Sigma2 = ssq / float64(nused-npar)
		m.LogLik = -0.5 * value
		m.AIC = value + 2*k + 2
		if withState {
			if !ft.filt.initState(m.Phi, m.Theta, kappa) {
				return nil, fmt.Errorf("%v: %w: non-stationary estimate", o, ErrFit)
			}
			ft.filt.likelihood(ft.x, m.Phi, m.Theta, delta, nil)
		}
	}
	// forecast::Arima's AICc and BIC count sigma2 as a parameter.
	if method != CSS {
		kk := k + 1
		m.AICc = m.AIC + 2*kk*(kk+1)/(float64(nused)-kk-1)
		m.BIC = m.AIC + kk*(math.Log(float64(nused))-2)
	}
	if full {
		m.State = append([]float64(nil), ft.filt.a...)
		m.N = n
		if err := setVariance(y, xreg, m, s); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func fitErr(o Order, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%v: %w: %v", o, ErrFit, err)
}

// diffRegression regresses the differenced y on the differenced
// regressor without intercept (R's lm(dx ~ dxreg - 1)), returning the
// coefficient and its standard error.
func diffRegression(y, xreg []float64, o Order) (beta, se float64, ok bool) {
	dy := difference(y, o)
	dx := difference(xreg, o)
	n := len(dy)
	if n < 1 {
		return 0, 0, false
	}
	var sxx, sxy float64
	for i := range dy {
		sxx += dx[i] * dx[i]
		sxy += dx[i] * dy[i]
	}
	if sxx == 0 {
		// R falls back to the undifferenced regression.
		dy, dx, n = y, xreg, len(y)
		sxx, sxy = 0, 0
		for i := range dy {
			sxx += dx[i] * dx[i]
			sxy += dx[i] * dy[i]
		}
		if sxx == 0 {
			return 0, 0, false
		}
	}
	beta = sxy / sxx
	if n < 2 {
		return beta, 0, true
	}
	rss := 0.0
	for i := range dy {
		e := dy[i] - beta*dx[i]
		rss += e * e
	}
	return beta, math.Sqrt(rss / float64(n-1) / sxx), true
}

// difference applies (1-B)^D (1-B^m)^SD, dropping the lost points, into
// a new slice (nil when nothing is left).
func difference(y []float64, o Order) []float64 {
	x := differenceInto(make([]float64, len(y)), y, o)
	if len(x) == 0 {
		return nil
	}
	return x
}

// r returns the state dimension of the ARMA part.
func (m *Model) r() int { return max(len(m.Phi), len(m.Theta)+1) }

// reg returns the regression part at time t (1-based).
func (m *Model) reg(t int) float64 {
	switch {
	case m.HasDrift:
		return m.Drift * float64(t)
	case m.HasMean:
		return m.Mean
	}
	return 0
}

// checkXReg panics unless xreg has a column of at least n values per
// regressor of the model.
func (m *Model) checkXReg(xreg [][]float64, n int, what string) {
	if len(xreg) != len(m.XReg) {
		panic(fmt.Sprintf("arima: model has %d regressors, %s has %d", len(m.XReg), what, len(xreg)))
	}
	for j, col := range xreg {
		if len(col) < n {
			panic(fmt.Sprintf("arima: %s column %d has %d values, need %d", what, j, len(col), n))
		}
	}
}

// Forecast returns h point forecasts after the end of the history the
// model was last fitted or refiltered on. It panics when the model has
// regressors: use ForecastXReg.
func (m *Model) Forecast(h int) []float64 {
	return m.ForecastXReg(h, nil)
}

// ForecastXReg returns h point forecasts given the future values of the
// model's regressors: newxreg has one column per regressor, in the order
// they were fitted, each with at least h values for the steps after the
// history (R's forecast(fit, xreg = newX)). It panics when the columns
// do not match the model.
func (m *Model) ForecastXReg(h int, newxreg [][]float64) []float64 {
	m.checkXReg(newxreg, h, "newxreg")
	out := make([]float64, h)
	forecastState(out, m.State, m.Phi, m.Delta, m.r())
	for i := range out {
		r := m.reg(m.N + i + 1)
		for j, b := range m.XReg {
			r += b * newxreg[j][i]
		}
		out[i] += r
	}
	return out
}

// Refilter runs the Kalman filter with the fitted parameters over y,
// normally a longer history of the same series, so that Forecast then
// continues from the end of y. The parameters are not re-estimated. It
// panics when the model has regressors: use RefilterXReg.
func (m *Model) Refilter(y []float64) error {
	return m.RefilterXReg(y, nil)
}

// RefilterXReg is Refilter for a model with regressors: xreg holds their
// values over y (one column per regressor, each of at least len(y)
// values). It panics when the columns do not match the model.
func (m *Model) RefilterXReg(y []float64, xreg [][]float64) error {
	m.checkXReg(xreg, len(y), "xreg")
	if len(y) == 0 {
		return fmt.Errorf("%v: %w: empty history", m.Order, ErrTooShort)
	}
	x := make([]float64, len(y))
	for i, v := range y {
		r := m.reg(i + 1)
		for j, b := range m.XReg {
			r += b * xreg[j][i]
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("%v: %w: series or regressors have missing or infinite values", m.Order, ErrFit)
		}
		x[i] = v - r
	}
	f := newFilter(len(m.Phi), len(m.Theta), len(m.Delta))
	if !f.initState(m.Phi, m.Theta, m.Kappa) {
		return fmt.Errorf("%v: %w: non-stationary model", m.Order, ErrFit)
	}
	f.likelihood(x, m.Phi, m.Theta, m.Delta, nil)
	m.State = append(m.State[:0], f.a...)
	m.N = len(y)
	return nil
}

// covariance returns A' (H nused)^-1 A (or (H nused)^-1 when a is nil),
// R's var.coef; like R's solve it fails when H is numerically singular.
func covariance(h, a []float64, nused int) ([]float64, error) {
	n := 0
	for n*n < len(h) {
		n++
	}
	if n == 0 {
		return nil, nil
	}
	hm := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			hm.Set(i, j, h[i*n+j]*float64(nused))
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(hm); err != nil {
		return nil, fmt.Errorf("singular Hessian: %v", err)
	}
	if a == nil {
		return inv.RawMatrix().Data, nil
	}
	am := mat.NewDense(n, n, a)
	var t1, out mat.Dense
	t1.Mul(&inv, am)
	out.Mul(am.T(), &t1)
	return out.RawMatrix().Data, nil
}

// gradTrans is R's ARIMA_Gradtrans: the Jacobian (row-major, row i =
// d/d raw_i) of the AR reparameterisation at the raw parameters par, by
// forward differences of 1e-3; identity outside the AR blocks.
func gradTrans(o Order, par []float64) []float64 {
	n := len(par)
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		a[i*n+i] = 1
	}
	const eps = 1e-3
	block := func(off, k int) {
		if k == 0 {
			return
		}
		w1 := append([]float64(nil), par[off:off+k]...)
		w2 := make([]float64, k)
		w3 := make([]float64, k)
		work := make([]float64, k)
		partrans(w1, w2, work)
		for i := 0; i < k; i++ {
			w1[i] += eps
			partrans(w1, w3, work)
			for j := 0; j < k; j++ {
				a[(off+i)*n+off+j] = (w3[j] - w2[j]) / eps
			}
			w1[i] -= eps
		}
	}
	block(0, o.P)
	block(o.P+o.Q, o.SP)
	return a
}
