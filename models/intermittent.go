package models

import (
	"context"
	"fmt"
	"math"
)

// intermittentSpecs lists the intermittent-demand methods (Croston and
// friends).
//
// All of them need demand to size: a history with no nonzero value gives
// an error wrapping ErrUnsuitable rather than a zero forecast (R's croston
// returns zeros), so that the tournament records "no demand" explicitly and
// leaves the zero forecast to the naive baselines. Negative values are
// ErrUnsuitable too: these methods model non-negative demand.
func intermittentSpecs() []Spec {
	return []Spec{
		{Name: "croston", Family: "intermittent",
			Doc: "Croston's method, SES (alpha 0.1) on demand sizes and intervals, as R's croston",
			New: func() Forecaster { return Croston{} }, Load: LoadJSON[crostonFit], Default: true},
		{Name: "croston_sba", Family: "intermittent",
			Doc: "Croston with the Syntetos-Boylan bias correction (1 - alpha/2)",
			New: func() Forecaster { return Croston{Variant: CrostonSBA} }, Load: LoadJSON[crostonFit], Default: true},
		{Name: "tsb", Family: "intermittent",
			Doc: "Teunter-Syntetos-Babai: SES on demand sizes and on the per-period demand probability",
			New: func() Forecaster { return TSB{} }, Load: LoadJSON[tsbFit], Default: true},
		{Name: "adida", Family: "intermittent",
			Doc: "ADIDA: SES on non-overlapping sums over the mean inter-demand interval, disaggregated",
			New: func() Forecaster { return ADIDA{} }, Load: LoadJSON[adidaFit], Default: true},
		{Name: "imapa", Family: "intermittent",
			Doc: "IMAPA: average of ADIDA-style forecasts over aggregation levels 1..mean interval",
			New: func() Forecaster { return IMAPA{} }, Load: LoadJSON[imapaFit], Default: true},
	}
}

// crostonDefaultAlpha is the smoothing weight of R's croston() and of the
// TSB paper's examples.
const crostonDefaultAlpha = 0.1

// crostonCheck validates an intermittent-demand history: finite,
// non-negative, with at least one demand.
func crostonCheck(model string, y []float64) error {
	if len(y) < 1 {
		return fmt.Errorf("%s: %w: need 1 point", model, ErrTooShort)
	}
	// One comparison pair per value rejects NaN, ±Inf and negatives
	// alike, and once a demand is seen the short-circuit skips the
	// v > 0 test, whose outcome on intermittent data (zeros and sales
	// at random) the branch predictor would miss half the time.
	demand := false
	for i, v := range y {
		if !(v >= 0 && v <= math.MaxFloat64) {
			return fmt.Errorf("%s: %w: value %v at %d (need finite non-negative demand)", model, ErrUnsuitable, v, i)
		}
		demand = demand || v > 0
	}
	if !demand {
		return fmt.Errorf("%s: %w: no nonzero demand in %d points", model, ErrUnsuitable, len(y))
	}
	return nil
}

// crostonAlpha resolves a smoothing-weight setting: 0 means def, otherwise
// it must lie in (0, 1].
func crostonAlpha(model, name string, a, def float64) (float64, error) {
	if a == 0 {
		return def, nil
	}
	if !(a > 0 && a <= 1) {
		return 0, fmt.Errorf("%s: %s %v outside (0, 1]", model, name, a)
	}
	return a, nil
}

// crostonFlat returns h copies of v.
func crostonFlat(v float64, h int) ([]float64, error) {
	if h < 0 {
		return nil, fmt.Errorf("models: negative horizon %d", h)
	}
	out := make([]float64, h)
	for j := range out {
		out[j] = v
	}
	return out, nil
}

// CrostonVariant selects the bias correction applied to Croston's ratio.
type CrostonVariant int

const (
	// CrostonClassic is Croston (1972): size / interval.
	CrostonClassic CrostonVariant = iota
	// CrostonSBA is the Syntetos–Boylan approximation (2005): the ratio
	// times 1 − α/2, which removes most of Croston's upward bias.
	CrostonSBA
	// CrostonSBJ is Shale–Boylan–Johnston (2006): times 1 − α/(2 − α).
	CrostonSBJ
)

// Croston is Croston's method as R's forecast::croston: simple exponential
// smoothing with a fixed weight Alpha, separately on the nonzero demand
// sizes and on the intervals between them (the first interval counted from
// the start of the history), each started at its first value; the forecast
// is the flat ratio of the two final levels times the Variant's correction.
type Croston struct {
	// Alpha is the smoothing weight of both series, in (0, 1]; 0 means
	// 0.1, R's default.
	Alpha float64 `json:"alpha,omitempty"`
	// Variant selects the bias correction; the zero value is
	// CrostonClassic.
	Variant CrostonVariant `json:"variant,omitempty"`
}

type crostonFit struct {
	Alpha   float64        `json:"alpha"`
	Variant CrostonVariant `json:"variant"`
}

// Fit implements Forecaster. Croston has nothing to estimate; Fit checks
// the history and settings.
func (m Croston) Fit(_ context.Context, in Input) (Fitted, error) {
	alpha, err := crostonAlpha("croston", "Alpha", m.Alpha, crostonDefaultAlpha)
	if err != nil {
		return nil, err
	}
	if m.Variant < CrostonClassic || m.Variant > CrostonSBJ {
		return nil, fmt.Errorf("croston: unknown variant %d", m.Variant)
	}
	if err := crostonCheck("croston", in.Y); err != nil {
		return nil, err
	}
	return &crostonFit{Alpha: alpha, Variant: m.Variant}, nil
}

// Forecast implements Fitted; it runs the recursions over in.Y.
func (f *crostonFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	if err := crostonCheck("croston", in.Y); err != nil {
		return nil, err
	}
	var size, interval float64
	started := false
	last := -1 // index of the previous demand
	for t, v := range in.Y {
		if v == 0 {
			continue
		}
		gap := float64(t - last)
		last = t
		if !started {
			size, interval, started = v, gap, true
			continue
		}
		size += f.Alpha * (v - size)
		interval += f.Alpha * (gap - interval)
	}
	coeff := 1.0
	switch f.Variant {
	case CrostonSBA:
		coeff = 1 - f.Alpha/2
	case CrostonSBJ:
		coeff = 1 - f.Alpha/(2-f.Alpha)
	}
	return crostonFlat(size/interval*coeff, h)
}

// TSB is the Teunter–Syntetos–Babai method (2011, "Intermittent demand:
// linking forecasting to inventory obsolescence", EJOR 214): the demand
// size z is smoothed with weight Alpha at demand periods only, the demand
// probability p with weight Beta at every period (towards 1 when demand
// occurs, towards 0 when not), and the flat forecast is p·z. Unlike
// Croston, the forecast decays through a run of zeros, which is what makes
// TSB suited to items going obsolete.
//
// Initialisation (the paper leaves it open): the state starts at the first
// demand, with z = that demand and p = 1/(its position counted from 1),
// the demand rate observed so far, matching Croston's first interval; the
// recursions then run over every later period.
type TSB struct {
	// Alpha smooths the demand size, in (0, 1]; 0 means 0.1.
	Alpha float64 `json:"alpha,omitempty"`
	// Beta smooths the demand probability, in (0, 1]; 0 means 0.1.
	Beta float64 `json:"beta,omitempty"`
}

type tsbFit struct {
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
}

// Fit implements Forecaster; TSB has nothing to estimate.
func (m TSB) Fit(_ context.Context, in Input) (Fitted, error) {
	alpha, err := crostonAlpha("tsb", "Alpha", m.Alpha, crostonDefaultAlpha)
	if err != nil {
		return nil, err
	}
	beta, err := crostonAlpha("tsb", "Beta", m.Beta, crostonDefaultAlpha)
	if err != nil {
		return nil, err
	}
	if err := crostonCheck("tsb", in.Y); err != nil {
		return nil, err
	}
	return &tsbFit{Alpha: alpha, Beta: beta}, nil
}

// Forecast implements Fitted; it runs the recursions over in.Y.
func (f *tsbFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	if err := crostonCheck("tsb", in.Y); err != nil {
		return nil, err
	}
	var z, p float64
	started := false
	for t, v := range in.Y {
		if !started {
			if v > 0 {
				z, p, started = v, 1/float64(t+1), true
			}
			continue
		}
		if v > 0 {
			z += f.Alpha * (v - z)
			p += f.Beta * (1 - p)
		} else {
			p -= f.Beta * p
		}
	}
	return crostonFlat(p*z, h)
}

// ADIDA is the Aggregate–Disaggregate Intermittent Demand Approach of
// Nikolopoulos, Syntetos, Boylan, Petropoulos & Assimakopoulos (2011,
// JORS 62): sum the history over non-overlapping buckets of k periods,
// k = the mean inter-demand interval rounded half up (intervals as in
// Croston, the first counted from the start), dropping the oldest len mod k
// periods so the last bucket ends at the last observation; forecast the
// bucket sums with SES and spread the forecast evenly over the k periods.
//
// The SES follows statsforecast's ADIDA: initial level the first bucket,
// weight chosen in [0.1, 0.3] by in-sample squared one-step error (ties,
// as on a flat objective, go to the lowest weight). The
// narrow range keeps the smoothing heavy, as suits sparse demand.
type ADIDA struct{}

type adidaFit struct {
	// K is the aggregation level (bucket length) and Alpha the SES weight.
	K     int     `json:"k"`
	Alpha float64 `json:"alpha"`
}

// Aggregated SES weight bounds, as statsforecast's ADIDA and IMAPA.
const (
	adidaAlphaLo = 0.1
	adidaAlphaHi = 0.3
)

// adidaMeanInterval returns the mean interval between demands of a history
// that crostonCheck accepted: the position of the last demand (from 1)
// divided by the number of demands.
func adidaMeanInterval(y []float64) float64 {
	count, last := 0, 0
	for t, v := range y {
		if v > 0 {
			count++
			last = t + 1
		}
	}
	return float64(last) / float64(count)
}

// adidaLevel returns the aggregation level for a history: the mean
// interval rounded half up, at least 1 and at most len(y).
func adidaLevel(y []float64) int {
	k := int(math.Floor(adidaMeanInterval(y) + 0.5))
	return max(1, min(k, len(y)))
}

// adidaAggregate writes the sums of y over non-overlapping buckets of k
// periods, aligned to end at the last point, into dst and returns it.
func adidaAggregate(dst, y []float64, k int) []float64 {
	nb := len(y) / k
	dst = dst[:0]
	for b, off := 0, len(y)-nb*k; b < nb; b++ {
		var s float64
		for _, v := range y[off+b*k : off+(b+1)*k] {
			s += v
		}
		dst = append(dst, s)
	}
	return dst
}

// adidaSESFit chooses the SES weight in [0.1, 0.3] minimising the squared
// one-step errors with the level started at x[0].
func adidaSESFit(ctx context.Context, x []float64) (float64, error) {
	if len(x) < 3 {
		// With fewer than two errors to score the weight is not
		// identified; take the middle of the range.
		return 0.2, nil
	}
	obj := func(alpha float64) float64 {
		l := x[0]
		var sse float64
		for _, v := range x[1:] {
			e := v - l
			sse += e * e
			l += alpha * e
		}
		return sse
	}
	return sesMinimize(ctx, obj, adidaAlphaLo, adidaAlphaHi)
}

// Fit implements Forecaster.
func (ADIDA) Fit(ctx context.Context, in Input) (Fitted, error) {
	if err := crostonCheck("adida", in.Y); err != nil {
		return nil, err
	}
	k := adidaLevel(in.Y)
	agg := adidaAggregate(make([]float64, 0, len(in.Y)/k), in.Y, k)
	alpha, err := adidaSESFit(ctx, agg)
	if err != nil {
		return nil, fmt.Errorf("adida: %w", err)
	}
	return &adidaFit{K: k, Alpha: alpha}, nil
}

// adidaForecastLevel aggregates y at level k without allocating and runs
// SES with weight alpha from the first bucket; it returns the final level
// divided by k, the per-period forecast. ok is false when y is shorter
// than one bucket.
func adidaForecastLevel(y []float64, k int, alpha float64) (float64, bool) {
	nb := len(y) / k
	if nb < 1 {
		return 0, false
	}
	off := len(y) - nb*k
	var l float64
	for b := 0; b < nb; b++ {
		var s float64
		for _, v := range y[off+b*k : off+(b+1)*k] {
			s += v
		}
		if b == 0 {
			l = s
		} else {
			l += alpha * (s - l)
		}
	}
	return l / float64(k), true
}

// Forecast implements Fitted: the fitted K and Alpha applied to in.Y.
func (f *adidaFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	if err := crostonCheck("adida", in.Y); err != nil {
		return nil, err
	}
	v, ok := adidaForecastLevel(in.Y, f.K, f.Alpha)
	if !ok {
		return nil, fmt.Errorf("adida: %w: need %d points, have %d", ErrTooShort, f.K, len(in.Y))
	}
	return crostonFlat(v, h)
}

// IMAPA is the Intermittent Multiple Aggregation Prediction Algorithm of
// Petropoulos & Kourentzes (2015, JORS 66): the ADIDA forecast (per-period
// SES forecast of bucket sums, SES as in ADIDA) at every aggregation level
// from 1 to the rounded mean inter-demand interval, averaged with equal
// weights, as statsforecast's IMAPA.
type IMAPA struct{}

type imapaFit struct {
	// Alphas[k-1] is the SES weight at aggregation level k.
	Alphas []float64 `json:"alphas"`
}

// Fit implements Forecaster.
func (IMAPA) Fit(ctx context.Context, in Input) (Fitted, error) {
	if err := crostonCheck("imapa", in.Y); err != nil {
		return nil, err
	}
	kmax := adidaLevel(in.Y)
	alphas := make([]float64, kmax)
	buf := make([]float64, 0, len(in.Y))
	for k := 1; k <= kmax; k++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("imapa: %w", err)
		}
		a, err := adidaSESFit(ctx, adidaAggregate(buf, in.Y, k))
		if err != nil {
			return nil, fmt.Errorf("imapa: %w", err)
		}
		alphas[k-1] = a
	}
	return &imapaFit{Alphas: alphas}, nil
}

// Forecast implements Fitted: the fitted levels and weights applied to
// in.Y.
func (f *imapaFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	if err := crostonCheck("imapa", in.Y); err != nil {
		return nil, err
	}
	if len(f.Alphas) == 0 {
		return nil, fmt.Errorf("imapa: fitted model has no aggregation levels")
	}
	var sum float64
	for i, a := range f.Alphas {
		v, ok := adidaForecastLevel(in.Y, i+1, a)
		if !ok {
			return nil, fmt.Errorf("imapa: %w: need %d points, have %d", ErrTooShort, i+1, len(in.Y))
		}
		sum += v
	}
	return crostonFlat(sum/float64(len(f.Alphas)), h)
}
