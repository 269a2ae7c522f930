package arima

import "math"

// kpss returns the KPSS level-stationarity statistic of x with
// trunc(3 sqrt(n)/13) Bartlett-weighted lags, as urca::ur.kpss(x,
// type = "mu", use.lag = ...) which forecast::ndiffs calls.
func kpss(x []float64) float64 {
	n := len(x)
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	var s, eta, s2 float64
	for _, v := range x {
		e := v - mean
		s += e
		eta += s * s
		s2 += e * e
	}
	fn := float64(n)
	eta /= fn * fn
	s2 /= fn
	lmax := int(math.Trunc(3 * math.Sqrt(fn) / 13))
	for l := 1; l <= lmax; l++ {
		c := 0.0
		for t := l; t < n; t++ {
			c += (x[t] - mean) * (x[t-l] - mean)
		}
		s2 += 2 / fn * (1 - float64(l)/float64(lmax+1)) * c
	}
	return eta / s2
}

// kpssCritical interpolates the level-stationarity critical values of
// Kwiatkowski et al. (1992) as forecast's urca_pval does: the test
// rejects at level alpha when the statistic exceeds the returned value.
func kpssCritical(alpha float64) float64 {
	cv := []float64{0.347, 0.463, 0.574, 0.739}
	p := []float64{0.1, 0.05, 0.025, 0.01}
	alpha = math.Min(math.Max(alpha, 0.01), 0.1)
	for i := 1; i < len(p); i++ {
		if alpha >= p[i] {
			f := (alpha - p[i]) / (p[i-1] - p[i])
			return cv[i] + f*(cv[i-1]-cv[i])
		}
	}
	return cv[len(cv)-1]
}

// ndiffs is forecast::ndiffs with the KPSS test: difference while the
// test rejects stationarity, up to maxD times.
func ndiffs(x []float64, alpha float64, maxD int) int {
	if isConstant(x) {
		return 0
	}
	crit := kpssCritical(alpha)
	d := 0
	for len(x) > 1 && kpss(x) > crit && d < maxD {
		d++
		x = difference(x, Order{D: 1})
		if isConstant(x) {
			return d
		}
	}
	return d
}

// seasonalStrength is forecast's seas.heuristic: 1 - Var(remainder) /
// Var(remainder + seasonal) of the STL decomposition, clamped to [0, 1].
func seasonalStrength(x []float64, m int) float64 {
	if len(x) <= 2*m {
		return 0 // R's stl refuses; nsdiffs then reports no difference
	}
	seas, trend := stl(x, m)
	rem := make([]float64, len(x))
	rs := make([]float64, len(x))
	for i := range x {
		rem[i] = x[i] - seas[i] - trend[i]
		rs[i] = rem[i] + seas[i]
	}
	return math.Max(0, math.Min(1, 1-variance(rem)/variance(rs)))
}

func variance(x []float64) float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - mean) * (v - mean)
	}
	return s / float64(len(x)-1)
}

// nsdiffs is forecast::nsdiffs with test = "seas": one seasonal
// difference when the seasonal strength exceeds threshold (maxD is at
// most 1 in practice, as in R, which retests only while D < max.D).
func nsdiffs(x []float64, m int, threshold float64, maxD int) int {
	if isConstant(x) || m >= len(x) || len(x) <= 2*m {
		return 0
	}
	D := 0
	dodiff := seasonalStrength(x, m) > threshold
	for dodiff && D < maxD {
		D++
		x = difference(x, Order{SD: 1, Period: m})
		if isConstant(x) {
			return D
		}
		dodiff = len(x) >= 2*m && D < maxD && seasonalStrength(x, m) > threshold
	}
	return D
}
