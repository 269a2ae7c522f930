package models

import (
	"math"
)

// SeasonalAdjust selects how SES, Naive2 and the Theta methods remove
// seasonality before smoothing. Whatever the test, the adjustment itself is
// R's classical multiplicative decomposition (decompose(x, "multiplicative")):
// a centred moving average of order m as trend, the mean ratio to it per
// position in the cycle as seasonal index, normalised to average 1. The
// forecasts are multiplied back by the indices.
type SeasonalAdjust int

const (
	// AdjustM4 (the default) adjusts when the M4 competition's 90%
	// autocorrelation test at lag m finds seasonality (SeasonalityTest), as
	// the official M4 benchmarks (Naive2, SES, Theta) do.
	AdjustM4 SeasonalAdjust = iota
	// AdjustThetaf uses forecast::thetaf's variant of the test: n > 2m,
	// critical value qnorm(0.95), and no adjustment for a constant series.
	AdjustThetaf
	// AdjustNone never adjusts (R's plain ses()).
	AdjustNone
)

// decompMinIndex is the smallest seasonal index accepted; thetaf falls back
// to no adjustment below it, because dividing by a near-zero index explodes.
const decompMinIndex = 1e-4

// thetafCrit is qnorm(0.95), the critical value forecast::thetaf uses.
const thetafCrit = 1.6448536269514722

// SeasonalityTest reports whether y shows seasonality of period m by the M4
// competition's test (seasonality_test in the official "Benchmarks and
// Evaluation.R"): the lag-m autocorrelation exceeds 1.645 times its standard
// error under Bartlett's formula, sqrt((1 + 2·Σ_{k<m} r_k²)/n). Series
// shorter than 3m are not seasonal. Like the official script, which takes
// the autocorrelations from R's acf() with its default lag.max of
// floor(10·log10(n)), a series too short for that maximum to reach m is
// declared non-seasonal.
func SeasonalityTest(y []float64, m int) bool {
	n := len(y)
	if m <= 1 || n < 3*m {
		return false
	}
	if int(math.Floor(10*math.Log10(float64(n)))) < m {
		return false
	}
	return decompAcfTest(y, m, 1.645)
}

// decompThetafSeasonal is forecast::thetaf's seasonality test.
func decompThetafSeasonal(y []float64, m int) bool {
	n := len(y)
	if m <= 1 || n <= 2*m || decompIsConstant(y) {
		return false
	}
	return decompAcfTest(y, m, thetafCrit)
}

// decompAcfTest computes the autocorrelations r_1..r_m as R's acf() does
// (biased: the lag-k sum over n-k products divided by the full sum of
// squares) and compares |r_m| with crit times Bartlett's standard error.
// It allocates nothing: the m autocorrelations are consumed as they come.
func decompAcfTest(y []float64, m int, crit float64) bool {
	n := len(y)
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	var c0 float64
	for _, v := range y {
		d := v - mean
		c0 += d * d
	}
	if c0 == 0 || math.IsNaN(c0) || math.IsInf(c0, 0) {
		return false
	}
	var sumsq, rm float64
	for k := 1; k <= m; k++ {
		var ck float64
		for t := 0; t+k < n; t++ {
			ck += (y[t] - mean) * (y[t+k] - mean)
		}
		r := ck / c0
		if k < m {
			sumsq += r * r
		} else {
			rm = r
		}
	}
	limit := crit * math.Sqrt((1+2*sumsq)/float64(n))
	return math.Abs(rm) > limit
}

func decompIsConstant(y []float64) bool {
	for _, v := range y[1:] {
		if v != y[0] {
			return false
		}
	}
	return true
}

// decompMultiplicative returns the m seasonal indices of R's
// decompose(y, type = "multiplicative"), index i belonging to the positions
// t ≡ i (mod m) counted from y[0]. ok is false when the indices are not all
// finite and at least decompMinIndex (zeros in the data can make the trend
// or a ratio vanish); callers then leave the series unadjusted.
func decompMultiplicative(y []float64, m int) (figure []float64, ok bool) {
	n := len(y)
	if m <= 1 || n < 2*m {
		return nil, false
	}
	// Centred moving average: for even m the filter is
	// (0.5, 1, ..., 1, 0.5)/m over m+1 points, for odd m a plain m-point
	// mean, as R's filter(sides = 2) applies them.
	half := m / 2
	sum := make([]float64, m)
	count := make([]float64, m)
	for t := half; t+half < n; t++ {
		var tr float64
		if m%2 == 0 {
			tr = 0.5 * (y[t-half] + y[t+half])
			for j := t - half + 1; j < t+half; j++ {
				tr += y[j]
			}
		} else {
			for j := t - half; j <= t+half; j++ {
				tr += y[j]
			}
		}
		tr /= float64(m)
		sum[t%m] += y[t] / tr
		count[t%m]++
	}
	var mean float64
	for i := range sum {
		if count[i] == 0 {
			return nil, false
		}
		sum[i] /= count[i]
		mean += sum[i]
	}
	mean /= float64(m)
	for i := range sum {
		sum[i] /= mean
		if math.IsNaN(sum[i]) || math.IsInf(sum[i], 0) || math.Abs(sum[i]) < decompMinIndex {
			return nil, false
		}
	}
	return sum, true
}

// decompFigure decides, by the chosen test, whether to adjust y for
// seasonality of period m and returns the indices, or nil for none.
func decompFigure(y []float64, m int, adj SeasonalAdjust) []float64 {
	var seasonal bool
	switch adj {
	case AdjustM4:
		seasonal = SeasonalityTest(y, m)
	case AdjustThetaf:
		seasonal = decompThetafSeasonal(y, m)
	}
	if !seasonal {
		return nil
	}
	fig, ok := decompMultiplicative(y, m)
	if !ok {
		return nil
	}
	return fig
}

// decompAdjust writes y divided by its seasonal index into dst (nil figure:
// a copy) and returns dst.
func decompAdjust(dst, y, figure []float64) []float64 {
	dst = dst[:len(y)]
	if figure == nil {
		copy(dst, y)
		return dst
	}
	m := len(figure)
	for t, v := range y {
		dst[t] = v / figure[t%m]
	}
	return dst
}

// decompReseason multiplies forecasts f of the steps after n points by
// their seasonal indices in place.
func decompReseason(f []float64, n int, figure []float64) {
	if figure == nil {
		return
	}
	m := len(figure)
	for j := range f {
		f[j] *= figure[(n+j)%m]
	}
}

// decompSeason returns the season length to use: override when positive,
// else the input's, at least 1.
func decompSeason(override int, in Input) int {
	m := override
	if m <= 0 {
		m = in.Season
	}
	if m < 1 {
		m = 1
	}
	return m
}
