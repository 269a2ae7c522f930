package forecast

import (
	"math"
	"sort"
)

func setWeights(kept []*candidateRun, how string) {
	if how == "inverse" {
		var sum float64
		for _, cr := range kept {
			sum += 1 / math.Max(cr.metric, 1e-9)
		}
		for _, cr := range kept {
			cr.weight = 1 / math.Max(cr.metric, 1e-9) / sum
		}
		return
	}
	for _, cr := range kept {
		cr.weight = 1 / float64(len(kept))
	}
}

func combine(kept []*candidateRun, how string, get func(*candidateRun) []float64, h int) []float64 {
	out := make([]float64, h)
	if how == "median" {
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
	for _, cr := range kept {
		fc := get(cr)
		for i := range out {
			out[i] += cr.weight * fc[i]
		}
	}
	return out
}
