package arima

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrConstant is returned by Auto for a constant series, which R fits
// with a mean only; callers usually prefer a simpler model for it.
var ErrConstant = errors.New("arima: constant series")

// ErrNoModel means every candidate of the search failed (R's "No
// suitable ARIMA model found").
var ErrNoModel = errors.New("arima: no suitable ARIMA model found")

// Approximation chooses when Auto ranks candidates by CSS instead of the
// exact likelihood.
type Approximation int

const (
	// ApproxAuto approximates when the series is longer than 150 points
	// or the season is longer than 12, as auto.arima does.
	ApproxAuto Approximation = iota
	// ApproxAlways always ranks by CSS.
	ApproxAlways
	// ApproxNever always ranks by CSS-ML.
	ApproxNever
)

// AutoSettings controls Auto. A nil *AutoSettings means
// DefaultAutoSettings(); a non-nil one is used as given, so start from
// DefaultAutoSettings() and change fields.
type AutoSettings struct {
	// MaxP, MaxQ, MaxSP, MaxSQ bound the orders the stepwise search may
	// reach (R: max.p = 5, max.q = 5, max.P = 2, max.Q = 2).
	MaxP, MaxQ, MaxSP, MaxSQ int
	// MaxD and MaxSD bound the differences the tests may choose
	// (R: max.d = 2, max.D = 1).
	MaxD, MaxSD int
	// D and SD fix the differences when >= 0; -1 lets the KPSS and
	// seasonal-strength tests choose (the default).
	D, SD int
	// StartP, StartQ, StartSP, StartSQ are the orders of the first model
	// of the search (R: 2, 2, 1, 1).
	StartP, StartQ, StartSP, StartSQ int
	// NModels caps the number of models the search fits (R: 94).
	NModels int
	// NonSeasonal ignores the season length (R: seasonal = FALSE).
	NonSeasonal bool
	// AllowDrift and AllowMean let the search include a drift (d+D == 1)
	// or a mean (d+D == 0); both true by default.
	AllowDrift, AllowMean bool
	// Approximation: see the constants; default ApproxAuto.
	Approximation Approximation
	// SeasonalStrength is the threshold on the seasonal strength above
	// which one seasonal difference is taken (R: 0.64).
	SeasonalStrength float64
	// KPSSAlpha is the level of the KPSS tests that choose d (R: 0.05;
	// only 0.1, 0.05, 0.025 and 0.01 are supported, as the test's table).
	KPSSAlpha float64
}

// DefaultAutoSettings returns forecast::auto.arima's defaults.
func DefaultAutoSettings() *AutoSettings {
	return &AutoSettings{
		MaxP: 5, MaxQ: 5, MaxSP: 2, MaxSQ: 2, MaxD: 2, MaxSD: 1, D: -1, SD: -1,
		StartP: 2, StartQ: 2, StartSP: 1, StartSQ: 1, NModels: 94,
		AllowDrift: true, AllowMean: true, SeasonalStrength: 0.64, KPSSAlpha: 0.05,
	}
}

// Candidate is one model the search tried, with its information
// criterion (+Inf when the fit failed or was rejected).
type Candidate struct {
	Order    Order
	Constant bool
	IC       float64
}

// AutoResult is the chosen model and the search that led to it.
type AutoResult struct {
	Model *Model
	// Tried lists the candidates in the order the search fitted them.
	Tried []Candidate
	// Approximated reports whether candidates were ranked by CSS.
	Approximated bool
}

// Auto chooses and fits a seasonal ARIMA model for y with season length m
// (1 for none) as forecast::auto.arima(y) with its defaults does: d by
// repeated KPSS tests, D by the seasonal strength of an STL-like
// decomposition, then the Hyndman-Khandakar stepwise search over p, q, P,
// Q and the constant, by AICc. It returns ErrConstant for a constant
// series, ErrTooShort when too little is left after differencing and
// ErrNoModel when no candidate could be fitted.
func Auto(ctx context.Context, y []float64, m int, s *AutoSettings) (*AutoResult, error) {
	return AutoXReg(ctx, y, nil, m, s)
}

// AutoXReg is Auto for a regression on the columns of xreg (each of
// len(y)) with ARIMA errors, as forecast::auto.arima(y, xreg = X): the
// differencing tests run on the residuals of the regression of y on the
// non-constant columns (with an intercept), a difference is not taken
// when it would make a regressor constant, and every candidate of the
// search, the mean or drift handled as without regressors, includes the
// regressors. It panics when a column's length differs from y's and
// returns an error wrapping ErrSingular when the regressors and an
// intercept are linearly dependent (R's "xreg is rank deficient").
func AutoXReg(ctx context.Context, y []float64, xreg [][]float64, m int, s *AutoSettings) (*AutoResult, error) {
	if s == nil {
		s = DefaultAutoSettings()
	}
	xreg, err := checkAutoInput(y, xreg)
	if err != nil {
		return nil, err
	}
	n := len(y)
	// xx is what the differencing tests see: y, or the residuals of its
	// regression on the non-constant regressors.
	xx, xregg, err := regressionResiduals(y, xreg)
	if err != nil {
		return nil, err
	}
	if s.NonSeasonal || m < 1 {
		m = 1
	}
	lim := searchLimits{
		maxP: min(s.MaxP, n/3), maxQ: min(s.MaxQ, n/3),
		maxSP: min(s.MaxSP, n/3/m), maxSQ: min(s.MaxSQ, n/3/m),
	}
	if m == 1 {
		lim.maxSP, lim.maxSQ = 0, 0
	}
	D, SD, dx := chooseDifferences(xx, xregg, n, m, s)
	if len(dx) == 0 {
		return nil, fmt.Errorf("%w: nothing left after differencing", ErrTooShort)
	}
	diffOnly := Order{D: D, SD: SD}
	if m > 1 {
		diffOnly.Period = m
	}
	if isConstant(dx) {
		return constantAuto(ctx, y, xreg, dx, diffOnly, m)
	}
	if m > 1 {
		if lim.maxSP > 0 {
			lim.maxP = min(lim.maxP, m-1)
		}
		if lim.maxSQ > 0 {
			lim.maxQ = min(lim.maxQ, m-1)
		}
	}
	approx := s.Approximation == ApproxAlways || (s.Approximation == ApproxAuto && (n > 150 || m > 12))
	offset := 0.0
	if approx {
		if f, err := fit(ctx, y, xreg, diffOnly, DefaultSettings(), false); err == nil {
			offset = -2*f.LogLik - float64(n)*math.Log(f.Sigma2)
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	srch := &search{ctx: ctx, y: y, xreg: xreg, n: n, m: m, d: D, sd: SD, approx: approx, offset: offset}
	constant := (s.AllowDrift && D+SD == 1) || (s.AllowMean && D+SD == 0)
	pos, err := srch.start(s, lim, constant)
	if err != nil {
		return nil, err
	}
	if err := srch.climb(pos, lim, s.NModels, constant); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &AutoResult{Tried: srch.tried, Approximated: approx}
	best, bestIC := pos.best, pos.bestIC
	if approx && best != nil {
		if best, bestIC, err = srch.refitExact(); err != nil {
			return nil, err
		}
	}
	if best == nil || math.IsInf(bestIC, 1) {
		return nil, ErrNoModel
	}
	if best.State == nil || best.Method == CSS.String() {
		if err := best.RefilterXReg(y, xreg); err != nil {
			return nil, err
		}
	}
	res.Model = best
	return res, nil
}

// checkAutoInput rejects what auto.arima cannot fit: an empty series,
// missing or infinite values, a constant series (ErrConstant). It panics
// when a regressor's length differs from y's, and returns xreg as nil
// when it has no columns.
func checkAutoInput(y []float64, xreg [][]float64) ([][]float64, error) {
	n := len(y)
	if n == 0 {
		return nil, fmt.Errorf("%w: empty series", ErrTooShort)
	}
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: series has missing or infinite values", ErrFit)
		}
	}
	if isConstant(y) {
		return nil, ErrConstant
	}
	for j, col := range xreg {
		if len(col) != n {
			panic(fmt.Sprintf("arima: regressor %d has %d values for a series of %d", j, len(col), n))
		}
		for _, v := range col {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: regressor %d has missing or infinite values", ErrFit, j)
			}
		}
	}
	if len(xreg) == 0 {
		return nil, nil
	}
	return xreg, nil
}

// chooseDifferences picks the seasonal (SD) and ordinary (D) differences
// as auto.arima does, unless s fixes them: SD by the seasonal strength,
// then D by repeated KPSS tests on the seasonally differenced series, each
// one fewer when it would leave a regressor constant. dx is xx after both.
func chooseDifferences(xx []float64, xregg [][]float64, n, m int, s *AutoSettings) (D, SD int, dx []float64) {
	SD = s.SD
	switch {
	case m == 1:
		SD = 0
	case SD < 0 && n <= 2*m:
		SD = 0
	case SD < 0:
		SD = nsdiffs(xx, m, s.SeasonalStrength, s.MaxSD)
		if SD > 0 && anyConstant(xregg, Order{SD: SD, Period: m}) {
			SD--
		}
	}
	dx = xx
	if SD > 0 {
		dx = difference(xx, Order{SD: SD, Period: m})
	}
	D = s.D
	if D < 0 {
		D = ndiffs(dx, s.KPSSAlpha, s.MaxD)
		if D > 0 && anyConstant(xregg, Order{D: D, SD: SD, Period: m}) {
			D--
		}
	}
	return D, SD, difference(dx, Order{D: D})
}

// constantAuto is auto.arima's answer when the differenced series dx is
// constant. With regressors the regression is perfect and R fits it with
// the differences only (forecast::Arima's defaults, so a mean when
// undifferenced); without, a model of the constant difference.
func constantAuto(ctx context.Context, y []float64, xreg [][]float64, dx []float64, o Order, m int) (*AutoResult, error) {
	var mod *Model
	var err error
	if xreg != nil {
		mod, err = fit(ctx, y, xreg, o, DefaultSettings(), true)
	} else {
		mod, err = constantModel(y, dx, o, m)
	}
	if err != nil {
		return nil, err
	}
	return &AutoResult{Model: mod}, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// searchLimits bounds the orders of the stepwise search.
type searchLimits struct {
	maxP, maxQ, maxSP, maxSQ int
}

// position is where the stepwise search stands: the orders and constant
// of the best candidate so far, the model and its criterion.
type position struct {
	p, q, P, Q int
	constant   bool
	best       *Model
	bestIC     float64
}

// consider fits the candidate (p, q, P, Q) with or without a constant
// and moves pos's orders and best model there when its criterion is
// lower and it passes the variance check. It does not change
// pos.constant: R's search does not either when the first candidates
// drop the constant.
func (s *search) consider(pos *position, p, q, P, Q int, constant bool) bool {
	if f, ic := s.try(p, q, P, Q, constant); ic < pos.bestIC && s.ok() {
		pos.best, pos.bestIC = f, ic
		pos.p, pos.q, pos.P, pos.Q = p, q, P, Q
		return true
	}
	return false
}

// start fits auto.arima's first candidates: the starting orders, white
// noise, a first-order AR and a first-order MA (seasonal ones too when
// there is a season), and white noise without the constant.
func (s *search) start(set *AutoSettings, lim searchLimits, constant bool) (*position, error) {
	startP, startQ, startSP, startSQ := set.StartP, set.StartQ, set.StartSP, set.StartSQ
	if s.n < 10 {
		startP, startQ, startSP, startSQ = min(startP, 1), min(startQ, 1), 0, 0
	}
	pos := &position{
		p: min(startP, lim.maxP), q: min(startQ, lim.maxQ),
		P: min(startSP, lim.maxSP), Q: min(startSQ, lim.maxSQ),
		constant: constant,
	}
	pos.best, pos.bestIC = s.try(pos.p, pos.q, pos.P, pos.Q, constant)
	if !s.ok() {
		pos.best, pos.bestIC = nil, math.Inf(1)
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	s.consider(pos, 0, 0, 0, 0, constant)
	if lim.maxP > 0 || lim.maxSP > 0 {
		s.consider(pos, b2i(lim.maxP > 0), 0, b2i(s.m > 1 && lim.maxSP > 0), 0, constant)
	}
	if lim.maxQ > 0 || lim.maxSQ > 0 {
		s.consider(pos, 0, b2i(lim.maxQ > 0), 0, b2i(s.m > 1 && lim.maxSQ > 0), constant)
	}
	if constant {
		s.consider(pos, 0, 0, 0, 0, false)
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	return pos, nil
}

// stepMoves is the neighbourhood of the current best model in R's order,
// as changes to (p, q, P, Q).
var stepMoves = [...][4]int{
	{0, 0, -1, 0}, {0, 0, 0, -1}, {0, 0, 1, 0}, {0, 0, 0, 1},
	{0, 0, -1, -1}, {0, 0, -1, 1}, {0, 0, 1, -1}, {0, 0, 1, 1},
	{-1, 0, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0},
	{-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0},
}

// canStep reports whether an order v may change by d: down while above
// zero, up while below its bound.
func canStep(v, d, bound int) bool {
	switch {
	case d < 0:
		return v > 0
	case d > 0:
		return v < bound
	}
	return true
}

// climb is the Hyndman-Khandakar stepwise search from pos: the first
// move of the neighbourhood that lowers the criterion is taken and the
// scan restarts, then toggling the constant when toggle is set, until no
// move helps or nmodels candidates have been fitted.
func (s *search) climb(pos *position, lim searchLimits, nmodels int, toggle bool) error {
	k := len(s.tried)
	startk := 0
outer:
	for startk < k && k < nmodels {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		startk = k
		for _, mv := range stepMoves {
			if !canStep(pos.p, mv[0], lim.maxP) || !canStep(pos.q, mv[1], lim.maxQ) ||
				!canStep(pos.P, mv[2], lim.maxSP) || !canStep(pos.Q, mv[3], lim.maxSQ) {
				continue
			}
			p, q, P, Q := pos.p+mv[0], pos.q+mv[1], pos.P+mv[2], pos.Q+mv[3]
			if !s.isNew(p, q, P, Q, pos.constant) {
				continue
			}
			k++
			if k > nmodels {
				continue outer
			}
			if s.consider(pos, p, q, P, Q, pos.constant) {
				continue outer
			}
		}
		if toggle && s.isNew(pos.p, pos.q, pos.P, pos.Q, !pos.constant) {
			k++
			if k > nmodels {
				continue outer
			}
			if s.consider(pos, pos.p, pos.q, pos.P, pos.Q, !pos.constant) {
				pos.constant = !pos.constant
			}
		}
	}
	return nil
}

// refitExact re-fits the candidates of an approximated search by exact
// likelihood, best CSS score first, until one is acceptable; R then
// refits the rejected candidates too, last, in the order they were
// tried.
func (s *search) refitExact() (best *Model, bestIC float64, err error) {
	idx := make([]int, len(s.tried))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.tried[idx[a]].IC < s.tried[idx[b]].IC })
	bestIC = math.Inf(1)
	var failed []int
	refit := func(i int) bool {
		c := s.tried[i]
		s.approx = false
		f, ic := s.fitIC(c.Order, c.Constant)
		s.approx = true
		if ic < math.Inf(1) && s.variance(f, c.Constant) {
			best, bestIC = f, ic
			return true
		}
		return false
	}
	for _, i := range idx {
		if err := s.ctx.Err(); err != nil {
			return nil, 0, err
		}
		if math.IsInf(s.tried[i].IC, 1) || !s.check(i) {
			failed = append(failed, i)
			continue
		}
		if refit(i) {
			return best, bestIC, nil
		}
	}
	sort.Ints(failed)
	for _, i := range failed {
		if err := s.ctx.Err(); err != nil {
			return nil, 0, err
		}
		if refit(i) {
			break
		}
	}
	return best, bestIC, nil
}

// search fits and scores the candidates of one Auto run.
type search struct {
	ctx    context.Context
	y      []float64
	xreg   [][]float64 // the user's regressors, in every candidate
	n, m   int
	d, sd  int
	approx bool
	offset float64
	tried  []Candidate
	models []*Model // the fit of each tried candidate (nil if it failed)
	vetted []bool   // whether the candidate's variance has been checked
}

// variance reports whether m's coefficient covariance can be computed
// and has a non-negative diagonal (forecast's checkarima; R fails the fit
// when the Hessian is singular).
func (s *search) variance(m *Model, constant bool) bool {
	set := &Settings{IncludeMean: constant, IncludeDrift: constant}
	if err := setVariance(s.y, s.xreg, m, set); err != nil {
		return false
	}
	k := 0
	for k*k < len(m.VarCoef) {
		k++
	}
	for i := 0; i < k; i++ {
		if v := m.VarCoef[i*k+i]; !(v >= 0) {
			return false
		}
	}
	return true
}

// check runs the variance check on candidate i once, marking it +Inf
// when it fails. R checks every candidate; checking only those that
// could be chosen saves a Hessian (4 k^2 objective evaluations) per
// losing candidate and changes nothing: a candidate that never beat the
// best so far is never chosen.
func (s *search) check(i int) bool {
	if !s.vetted[i] {
		s.vetted[i] = true
		if s.models[i] == nil || !s.variance(s.models[i], s.tried[i].Constant) {
			s.tried[i].IC = math.Inf(1)
		}
	}
	return !math.IsInf(s.tried[i].IC, 1)
}

// ok checks the candidate tried last.
func (s *search) ok() bool { return s.check(len(s.tried) - 1) }

func (s *search) order(p, q, P, Q int) Order {
	o := Order{P: p, D: s.d, Q: q, SP: P, SD: s.sd, SQ: Q}
	if s.m > 1 {
		o.Period = s.m
	}
	return o
}

func (s *search) isNew(p, q, P, Q int, constant bool) bool {
	o := s.order(p, q, P, Q)
	for _, c := range s.tried {
		if c.Order == o && c.Constant == constant {
			return false
		}
	}
	return true
}

// try fits one candidate, records it and returns it with its IC (+Inf on
// failure).
func (s *search) try(p, q, P, Q int, constant bool) (*Model, float64) {
	o := s.order(p, q, P, Q)
	m, ic := s.fitIC(o, constant)
	s.tried = append(s.tried, Candidate{Order: o, Constant: constant, IC: ic})
	s.models = append(s.models, m)
	s.vetted = append(s.vetted, false)
	return m, ic
}

// fitIC is forecast's myarima: fit, compute the AICc (from the CSS
// variance and the offset when approximating), and reject models with AR
// or MA roots within 1.01 of the unit circle.
func (s *search) fitIC(o Order, constant bool) (*Model, float64) {
	set := &Settings{IncludeMean: constant, IncludeDrift: constant, Method: CSSML}
	if s.approx {
		set.Method = CSS
	}
	if s.ctx.Err() != nil {
		return nil, math.Inf(1)
	}
	f, err := fit(s.ctx, s.y, s.xreg, o, set, false)
	if err != nil {
		return nil, math.Inf(1)
	}
	nstar := float64(s.n - o.D - o.SD*o.ns())
	npar := float64(o.narma() + 1 + len(s.xreg))
	if f.HasMean || f.HasDrift {
		npar++
	}
	aic := f.AIC
	if s.approx {
		aic = s.offset + nstar*math.Log(f.Sigma2) + 2*npar
	}
	if math.IsNaN(aic) {
		return nil, math.Inf(1)
	}
	ic := aic + 2*npar*(npar+1)/(nstar-npar-1)
	if math.IsNaN(ic) || nstar-npar-1 <= 0 {
		return nil, math.Inf(1)
	}
	minroot := 2.0
	if o.P+o.SP > 0 {
		r, ok := minRootModulus(f.Phi, -1)
		if !ok {
			return nil, math.Inf(1)
		}
		minroot = math.Min(minroot, r)
	}
	if o.Q+o.SQ > 0 {
		r, ok := minRootModulus(f.Theta, 1)
		if !ok {
			return nil, math.Inf(1)
		}
		minroot = math.Min(minroot, r)
	}
	if minroot < 1.01 {
		return nil, math.Inf(1)
	}
	f.AICc = ic
	return f, ic
}

// constantModel is auto.arima's answer when the differenced series is
// constant: no ARMA part, and the constant difference as drift (or
// nothing when differenced twice).
func constantModel(y, dx []float64, o Order, m int) (*Model, error) {
	mod := &Model{Order: o, Delta: o.delta(), Kappa: 1e6, Method: "fixed", NObs: len(dx)}
	mean := 0.0
	for _, v := range dx {
		mean += v
	}
	mean /= float64(len(dx))
	switch {
	case o.SD > 0 && o.D == 0:
		mod.HasDrift, mod.Drift = true, mean/float64(m)
	case o.SD == 0 && o.D == 1:
		mod.HasDrift, mod.Drift = true, mean
	}
	if err := mod.Refilter(y); err != nil {
		return nil, err
	}
	return mod, nil
}

func isConstant(y []float64) bool {
	for _, v := range y {
		if v != y[0] {
			return false
		}
	}
	return true
}

// regressionResiduals is auto.arima's preparation of the series for the
// differencing tests: the regressors that are not constant (xregg), and
// the residuals of lm(y ~ xregg), intercept included (y itself when no
// regressor varies). It fails with ErrSingular when the varying
// regressors and an intercept are numerically dependent (R: the smallest
// singular value below machine epsilon times their sum).
func regressionResiduals(y []float64, xreg [][]float64) (xx []float64, xregg [][]float64, err error) {
	for _, col := range xreg {
		if !isConstant(col) {
			xregg = append(xregg, col)
		}
	}
	if len(xregg) == 0 {
		return y, nil, nil
	}
	ones := make([]float64, len(y))
	for i := range ones {
		ones[i] = 1
	}
	cols := append([][]float64{ones}, xregg...)
	sv, ok := singularValues(cols)
	if !ok {
		return nil, nil, fmt.Errorf("%w: SVD of the regressors failed", ErrSingular)
	}
	sum, minsv := 0.0, math.Inf(1)
	for _, v := range sv {
		sum += v
		minsv = math.Min(minsv, v)
	}
	if minsv/sum < 0x1p-52 {
		return nil, nil, fmt.Errorf("%w: xreg is rank deficient", ErrSingular)
	}
	_, _, resid, rank := leastSquares(y, cols)
	if rank < len(cols) {
		return nil, nil, fmt.Errorf("%w: xreg is rank deficient", ErrSingular)
	}
	return resid, xregg, nil
}

// anyConstant reports whether differencing by o leaves any of the
// columns constant (auto.arima then takes one difference fewer).
func anyConstant(cols [][]float64, o Order) bool {
	for _, col := range cols {
		if isConstant(difference(col, o)) {
			return true
		}
	}
	return false
}
