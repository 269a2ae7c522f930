package ets

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Errors that describe why a series cannot be fitted; the models package
// maps them to its own sentinels.
var (
	ErrTooShort   = errors.New("ets: series too short")
	ErrUnsuitable = errors.New("ets: series unsuitable")
)

// Settings control Fit. The zero value (and nil) is R's ets() with its
// defaults: every form R considers, chosen by AICc, each estimated by
// likelihood.
type Settings struct {
	// Model is the form as in R's ets(model=): error (A, M, Z), trend (N,
	// A, Ad for damped, Z) and season (N, A, M, Z), e.g. "AAdA" or "MAM".
	// Z components are chosen by AICc; a Z trend tries N, A and Ad.
	// "" means "ZZZ".
	Model string
	// Criterion is what estimation of each form minimises.
	Criterion Criterion
	// MaxIter limits objective evaluations per form; 0 means
	// DefaultMaxIter.
	MaxIter int
	// AdditiveOnly restricts the selection to additive error, trend and
	// season (R's additive.only).
	AdditiveOnly bool
	// Abandon, when > 0, lets automatic selection give up on a form as
	// hopeless, which R never does: once Nelder–Mead has spent
	// abandonEvalsPerPar evaluations per parameter on it and its best
	// AICc so far is worse than the best form already fitted by more
	// than Abandon, the form is skipped. Only the likelihood criterion
	// abandons. It is a speed setting for the tournament (models.ETS
	// sets 10, the AICc difference past which the worse form has
	// essentially no support): on M5-shaped daily series the trended
	// seasonal forms run to the 2,000-evaluation limit 10-30 AICc behind
	// ANA or ANN. On 157 M5-shaped windows and 20 M4 hourly series it
	// chose the same form and estimate as fitting every form, with 38%
	// and 21% fewer evaluations (TestAbandonKeepsSelection runs a
	// sample). 0 fits every form to the end, as R does.
	Abandon float64
}

// abandonEvalsPerPar is the Nelder–Mead evaluations per parameter a form
// gets before Settings.Abandon may give up on it: Nelder–Mead's
// progress slows with the dimension, so a fixed checkpoint would judge
// a 26-parameter hourly season on its first steps.
const abandonEvalsPerPar = 50

// Fit estimates the forms s.Model allows on y with season length m and
// returns the one with the lowest AICc, following R's ets(): no season
// when m is 1, longer than MaxSeason or not shorter than the series; no
// multiplicative trend unless asked for; multiplicative error or season
// only for positive data. Series R would not fit, or would fit without
// optimising, give an error wrapping ErrTooShort or ErrUnsuitable. It
// stops early with ctx.Err() when ctx is cancelled.
func Fit(ctx context.Context, y []float64, m int, s *Settings) (*Estimate, error) {
	if s == nil {
		s = &Settings{}
	}
	sp, err := parseSpec(s.Model)
	if err != nil {
		return nil, err
	}
	positive, err := checkSeries(y)
	if err != nil {
		return nil, err
	}
	n := len(y)
	if m < 1 {
		m = 1
	}
	auto := len(sp.errs)*len(sp.trends)*len(sp.seasons)*len(sp.damped) > 1
	// R's rules for the season: none when m is 1 or the series is not
	// longer than one season; an error for an explicit seasonal form with
	// m > 24, silently none for "Z".
	if n <= m || m == 1 || (m > MaxSeason && len(sp.seasons) > 1) {
		if len(sp.seasons) == 1 && sp.seasons[0] != None && m == 1 {
			return nil, fmt.Errorf("%w: non-seasonal data for a seasonal model", ErrUnsuitable)
		}
		sp.seasons = []Component{None}
	}
	if m > MaxSeason && sp.seasons[0] != None {
		return nil, fmt.Errorf("%w: season %d longer than %d, the longest R's ets accepts for a seasonal form", ErrUnsuitable, m, MaxSeason)
	}
	if !positive && len(sp.errs) == 1 && sp.errs[0] == Mul {
		return nil, fmt.Errorf("%w: multiplicative error needs positive data", ErrUnsuitable)
	}
	if !auto {
		f := Form{Error: sp.errs[0], Trend: sp.trends[0], Season: sp.seasons[0], Damped: sp.damped[0]}
		// A form the caller named is an error where Z would skip it.
		if err := checkForm(f, positive, s.AdditiveOnly); err != nil {
			return nil, err
		}
	}
	if err := checkLength(sp, n, m, auto); err != nil {
		return nil, err
	}
	return selectForm(ctx, y, m, sp, positive, s)
}

// checkSeries rejects series ets() cannot fit: fewer than four points, a
// non-finite value, a constant series. positive reports whether every
// value is above zero, which multiplicative components need.
func checkSeries(y []float64) (positive bool, err error) {
	if len(y) < 4 {
		return false, fmt.Errorf("%w: need 4 points, have %d", ErrTooShort, len(y))
	}
	lo := math.Inf(1)
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false, fmt.Errorf("%w: non-finite value", ErrUnsuitable)
		}
		lo = math.Min(lo, v)
	}
	if isConstant(y) {
		return false, fmt.Errorf("%w: constant series", ErrUnsuitable)
	}
	return lo > 0, nil
}

// checkForm says why R's ets() would not try form f: no additive error
// with a multiplicative trend or season, no M,M,A, multiplicative parts
// only for positive data, and only additive parts when additiveOnly.
func checkForm(f Form, positive, additiveOnly bool) error {
	if (f.Error == Add && (f.Trend == Mul || f.Season == Mul)) || (f.Error == Mul && f.Trend == Mul && f.Season == Add) {
		return fmt.Errorf("%w: forbidden combination %s", ErrUnsuitable, f.Method())
	}
	if !positive && (f.Error == Mul || f.Season == Mul) {
		return fmt.Errorf("%w: multiplicative season needs positive data", ErrUnsuitable)
	}
	if additiveOnly && (f.Error == Mul || f.Trend == Mul || f.Season == Mul) {
		return fmt.Errorf("%w: %s is not additive", ErrUnsuitable, f.Method())
	}
	return nil
}

// checkLength rejects series with too few points for the parameters: R
// gives them a non-optimised Holt–Winters fit instead (fewer than
// npars+5 points); forecastd declines.
func checkLength(sp spec, n, m int, auto bool) error {
	npars := 2
	if len(sp.trends) == 1 && sp.trends[0] != None {
		npars += 2
	}
	if len(sp.seasons) == 1 && sp.seasons[0] != None {
		npars += m
	}
	if !auto && sp.damped[0] {
		npars++
	}
	if n <= npars+4 {
		return fmt.Errorf("%w: %d points for %d parameters", ErrTooShort, n, npars)
	}
	return nil
}

// selectForm fits every allowed form of sp and returns the lowest AICc.
// Forms that fail are skipped; when none fits, the first failure is
// returned.
func selectForm(ctx context.Context, y []float64, m int, sp spec, positive bool, s *Settings) (*Estimate, error) {
	var best *Estimate
	var firstErr error
	total := 0
	for _, et := range sp.errs {
		for _, tt := range sp.trends {
			for _, st := range sp.seasons {
				for _, dd := range sp.damped {
					f := Form{Error: et, Trend: tt, Season: st, Damped: dd}
					if (tt == None && dd) || checkForm(f, positive, s.AdditiveOnly) != nil {
						continue
					}
					bestAICc := math.Inf(1)
					if best != nil {
						bestAICc = best.AICc
					}
					est, err := fitForm(ctx, y, f, m, s.Criterion, s.MaxIter, bestAICc, s.Abandon)
					var fe *formError
					if errors.As(err, &fe) {
						total += fe.evals
					} else if err == nil {
						total += est.Evals
					}
					if err != nil {
						if ctxErr := ctx.Err(); ctxErr != nil {
							return nil, ctxErr
						}
						if errors.Is(err, errAbandoned) {
							continue
						}
						if firstErr == nil {
							firstErr = err
						}
						continue
					}
					if best == nil || est.AICc < best.AICc {
						best = est
					}
				}
			}
		}
	}
	if best == nil {
		if firstErr == nil {
			firstErr = ErrUnsuitable
		}
		return nil, fmt.Errorf("ets: no model could be fitted: %w", firstErr)
	}
	best.TotalEvals = total
	return best, nil
}

// isConstant is R's is.constant, all.equal(y, rep(y[1], n)): a mean
// absolute difference from the first value below 1.5e-8 of the mean
// absolute value. R switches to an absolute tolerance when the mean is
// below 1.5e-8, calling every series of tiny magnitude constant; this
// stays relative.
func isConstant(y []float64) bool {
	var diff, scale float64
	for _, v := range y {
		diff += math.Abs(v - y[0])
		scale += math.Abs(v)
	}
	if scale == 0 {
		return diff == 0
	}
	return diff/scale < 1.5e-8
}
