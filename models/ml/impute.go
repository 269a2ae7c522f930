package ml

import (
	"fmt"
	"math"
)

// Imputer fills gaps in features and optionally standardises them, with
// statistics learnt from the training matrix so that prediction rows are
// transformed exactly as the training rows were.
//
// A NaN is replaced by its column's training mean (over the finite
// values), or by 0 when the column had no finite value at all: the mean
// keeps a linear model's fit unbiased, and a constant column carries no
// signal, so either choice only matters where there is nothing to learn.
// With standardisation, a value becomes (v - mean) / std, as
// scikit-learn's StandardScaler (population std; a constant column keeps
// scale 1), so an imputed value becomes exactly 0. Infinities are treated
// like NaN.
type Imputer struct {
	Means []float64 `json:"means"`
	// Scales are the divisors; nil means no standardisation.
	Scales []float64 `json:"scales,omitempty"`
}

// NewImputer learns the column statistics of x (row-major, cols wide).
func NewImputer(x []float64, cols int, standardise bool) *Imputer {
	if cols < 1 || len(x)%cols != 0 {
		panic(fmt.Sprintf("ml: NewImputer: len(x) = %d is not a multiple of %d columns", len(x), cols))
	}
	im := &Imputer{Means: make([]float64, cols)}
	count := make([]float64, cols)
	n := len(x) / cols
	for i := 0; i < n; i++ {
		for j, v := range x[i*cols : (i+1)*cols] {
			if finite(v) {
				im.Means[j] += v
				count[j]++
			}
		}
	}
	for j := range im.Means {
		if count[j] > 0 {
			im.Means[j] /= count[j]
		}
	}
	if !standardise {
		return im
	}
	im.Scales = make([]float64, cols)
	for i := 0; i < n; i++ {
		for j, v := range x[i*cols : (i+1)*cols] {
			if finite(v) {
				d := v - im.Means[j]
				im.Scales[j] += d * d
			}
		}
	}
	for j := range im.Scales {
		// Imputed values sit at the mean and add nothing to the sum of
		// squares, but they do count as samples, as they would after
		// SimpleImputer → StandardScaler.
		s := math.Sqrt(im.Scales[j] / float64(n))
		if s < 10*2.220446049250313e-16*math.Max(1, math.Abs(im.Means[j])) {
			s = 1
		}
		im.Scales[j] = s
	}
	return im
}

// Transform writes the imputed (and standardised) copy of x into dst
// (grown if short; dst may be x itself) and returns it.
func (im *Imputer) Transform(dst, x []float64) []float64 {
	cols := len(im.Means)
	if len(x)%cols != 0 {
		panic(fmt.Sprintf("ml: Imputer.Transform: len(x) = %d is not a multiple of %d columns", len(x), cols))
	}
	if cap(dst) < len(x) {
		dst = make([]float64, len(x))
	}
	dst = dst[:len(x)]
	for i, v := range x {
		j := i % cols
		if !finite(v) {
			v = im.Means[j]
		}
		if im.Scales != nil {
			v = (v - im.Means[j]) / im.Scales[j]
		}
		dst[i] = v
	}
	return dst
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
