package accuracy

import (
	"fmt"
	"math"
)

// Step is one realized horizon step of a served forecast: the point
// forecast, its 80% and 95% intervals, and the actual that arrived.
type Step struct {
	Forecast float64
	Lower80  float64
	Upper80  float64
	Lower95  float64
	Upper95  float64
	Actual   float64
}

// Scores are the realized accuracy of a set of steps. A score that is
// undefined (WAPE of all-zero actuals, MASE without a scale, anything of
// no steps) is NaN.
type Scores struct {
	// N is the number of steps scored.
	N int
	// WAPE is sum|y-f| / sum|y|.
	WAPE float64
	// MASE is mean|y-f| divided by the in-sample naive error of the
	// history the vintage was trained on (its stored scale).
	MASE float64
	// Bias is mean(f-y), as the backtest's bias.
	Bias float64
	// Coverage80 and Coverage95 are the fractions of actuals inside the
	// intervals, bounds included; Covered80 counts them for the 80% one.
	Coverage80 float64
	Coverage95 float64
	Covered80  int
	// Pinball is the mean quantile loss over the steps and the five
	// quantiles a forecast states: the interval bounds read as the
	// 2.5%, 10%, 90% and 97.5% quantiles and the point as the median.
	Pinball float64
	// AbsError and AbsActual are the sums WAPE divides, so that WAPE can
	// be aggregated over series (by store, in total) by adding them.
	AbsError  float64
	AbsActual float64
}

// Quantiles are the levels of the pinball loss, in the order of
// pinballBounds.
var Quantiles = [5]float64{0.025, 0.1, 0.5, 0.9, 0.975}

// Score scores steps; scale is the MASE denominator (NaN or <= 0: MASE
// is NaN). It allocates nothing.
func Score(steps []Step, scale float64) Scores {
	s := Scores{N: len(steps)}
	if len(steps) == 0 {
		nan := math.NaN()
		s.WAPE, s.MASE, s.Bias, s.Coverage80, s.Coverage95, s.Pinball = nan, nan, nan, nan, nan, nan
		return s
	}
	var bias, pin float64
	covered95 := 0
	for _, st := range steps {
		e := st.Actual - st.Forecast
		s.AbsError += math.Abs(e)
		s.AbsActual += math.Abs(st.Actual)
		bias += st.Forecast - st.Actual
		if st.Lower80 <= st.Actual && st.Actual <= st.Upper80 {
			s.Covered80++
		}
		if st.Lower95 <= st.Actual && st.Actual <= st.Upper95 {
			covered95++
		}
		bounds := [5]float64{st.Lower95, st.Lower80, st.Forecast, st.Upper80, st.Upper95}
		var l float64
		for i, q := range Quantiles {
			l += pinball(st.Actual, bounds[i], q)
		}
		pin += l / float64(len(Quantiles))
	}
	n := float64(len(steps))
	s.WAPE = math.NaN()
	if s.AbsActual > 0 {
		s.WAPE = s.AbsError / s.AbsActual
	}
	s.MASE = math.NaN()
	if scale > 0 && !math.IsInf(scale, 0) {
		s.MASE = s.AbsError / n / scale
	}
	s.Bias = bias / n
	s.Coverage80 = float64(s.Covered80) / n
	s.Coverage95 = float64(covered95) / n
	s.Pinball = pin / n
	return s
}

// pinball is the quantile loss of forecast f of quantile q for actual y.
func pinball(y, f, q float64) float64 {
	d := y - f
	if d >= 0 {
		return q * d
	}
	return (q - 1) * d
}

// NaiveScale is the MASE denominator of a history: the mean absolute
// seasonal difference at lag m, falling back to lag 1 when that is
// undefined or zero, and to the mean absolute level of a constant
// history (as the backtest's MASE does, so realized and backtest MASE
// read alike). It is NaN for an empty or all-zero history.
func NaiveScale(train []float64, m int) float64 {
	for _, lag := range []int{m, 1} {
		if lag < 1 || len(train) <= lag {
			continue
		}
		var a float64
		for i := lag; i < len(train); i++ {
			a += math.Abs(train[i] - train[i-lag])
		}
		if a > 0 {
			return a / float64(len(train)-lag)
		}
	}
	var lvl float64
	for _, v := range train {
		lvl += math.Abs(v)
	}
	if lvl > 0 {
		return lvl / float64(len(train))
	}
	return math.NaN()
}

// BinomialCDF is P(X <= k) for X ~ Binomial(n, p), summed exactly in
// log space (n is a forecast horizon: at most a few thousand terms).
func BinomialCDF(k, n int, p float64) float64 {
	if n < 0 || p < 0 || p > 1 {
		panic(fmt.Sprintf("accuracy: BinomialCDF(%d, %d, %g)", k, n, p))
	}
	switch {
	case k < 0:
		return 0
	case k >= n:
		return 1
	case p == 0:
		return 1
	case p == 1:
		return 0
	}
	lp, lq := math.Log(p), math.Log1p(-p)
	lgn, _ := math.Lgamma(float64(n) + 1)
	var sum float64
	for i := 0; i <= k; i++ {
		a, _ := math.Lgamma(float64(i) + 1)
		b, _ := math.Lgamma(float64(n-i) + 1)
		sum += math.Exp(lgn - a - b + float64(i)*lp + float64(n-i)*lq)
	}
	return math.Min(sum, 1)
}
