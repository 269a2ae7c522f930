package forecast

import (
	"fmt"
	"math"
	"sort"
)

// Combination is how the forecasts of the kept candidates are combined
// into one. Options.Validate (or ParseCombination) checks a value once,
// where it enters; past that, an unknown value is a programmer error.
type Combination string

// The combinations.
const (
	// CombineInverse weights each forecast in proportion to 1/metric, its
	// backtest error on the ranking metric: the default, the best of the
	// three on both holdouts in bench/accuracy.
	CombineInverse Combination = "inverse"
	// CombineMean is the plain mean of the forecasts.
	CombineMean Combination = "mean"
	// CombineMedian is the median of the forecasts, step by step.
	CombineMedian Combination = "median"
)

// ParseCombination returns the combination named s: inverse, mean or
// median.
func ParseCombination(s string) (Combination, error) {
	switch c := Combination(s); c {
	case CombineInverse, CombineMean, CombineMedian:
		return c, nil
	}
	return "", fmt.Errorf("forecast: unknown combine %q (want mean, median or inverse)", s)
}

// setWeights gives each kept candidate its weight in the combination.
// The median uses no weights, but reports equal ones, as the mean does.
func setWeights(kept []*candidateRun, how Combination) {
	switch how {
	case CombineInverse:
		var sum float64
		for _, cr := range kept {
			sum += 1 / math.Max(cr.metric, 1e-9)
		}
		for _, cr := range kept {
			cr.weight = 1 / math.Max(cr.metric, 1e-9) / sum
		}
	case CombineMean, CombineMedian:
		for _, cr := range kept {
			cr.weight = 1 / float64(len(kept))
		}
	default:
		panic(fmt.Sprintf("forecast: unknown combination %q", how))
	}
}

// combine combines the h-step forecasts that get picks from each kept
// candidate (a fold's backtest or the final forecast).
func combine(kept []*candidateRun, how Combination, get func(*candidateRun) []float64, h int) []float64 {
	switch how {
	case CombineMedian:
		return medianForecast(kept, get, h)
	case CombineInverse, CombineMean:
		return weightedForecast(kept, get, h)
	default:
		panic(fmt.Sprintf("forecast: unknown combination %q", how))
	}
}

// weightedForecast is the sum of the forecasts times their weights.
func weightedForecast(kept []*candidateRun, get func(*candidateRun) []float64, h int) []float64 {
	out := make([]float64, h)
	for _, cr := range kept {
		fc := get(cr)
		for i := range out {
			out[i] += cr.weight * fc[i]
		}
	}
	return out
}

// medianForecast is the median of the forecasts at each step.
func medianForecast(kept []*candidateRun, get func(*candidateRun) []float64, h int) []float64 {
	out := make([]float64, h)
	col := make([]float64, len(kept))
	for i := range out {
		for k, cr := range kept {
			col[k] = get(cr)[i]
		}
		sort.Float64s(col)
		m := len(col)
		if m%2 == 1 {
			out[i] = col[m/2]
		} else {
			out[i] = (col[m/2-1] + col[m/2]) / 2
		}
	}
	return out
}
