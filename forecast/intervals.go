package forecast

import (
	"math"
	"sort"

	"github.com/forecastd/forecastd/data"
)

func flatten(errs [][]float64, skip int) []float64 {
	var out []float64
	for i, e := range errs {
		if i != skip {
			out = append(out, e...)
		}
	}
	return out
}

// conformalQuantile is the split-conformal radius for coverage level:
// the ceil((n+1)*level)-th smallest absolute error (the largest when n is
// too small for the level).
func conformalQuantile(errs []float64, level float64) float64 {
	if len(errs) == 0 {
		return math.NaN()
	}
	abs := make([]float64, len(errs))
	for i, e := range errs {
		abs[i] = math.Abs(e)
	}
	sort.Float64s(abs)
	k := int(math.Ceil(float64(len(abs)+1)*level)) - 1
	if k >= len(abs) {
		k = len(abs) - 1
	}
	return abs[k]
}

// crossCoverage scores each fold with the radius calibrated on the others.
func crossCoverage(errs [][]float64, level float64) float64 {
	in, n := 0, 0
	for i, e := range errs {
		q := conformalQuantile(flatten(errs, i), level)
		for _, v := range e {
			n++
			if math.Abs(v) <= q {
				in++
			}
		}
	}
	return float64(in) / float64(n)
}

func makePoints(s *data.Series, point []float64, q80, q95 float64, nonNeg bool) []Point {
	pts := make([]Point, len(point))
	n := len(s.Values)
	for i, v := range point {
		if nonNeg && v < 0 {
			v = 0
		}
		p := Point{Date: s.Date(n + i).Format(s.Freq.Layout()), Value: v,
			Lower: v - q80, Upper: v + q80, Lower95: v - q95, Upper95: v + q95}
		if nonNeg {
			p.Lower, p.Lower95 = math.Max(p.Lower, 0), math.Max(p.Lower95, 0)
		}
		pts[i] = p
	}
	return pts
}
