package ml

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortFloats: the radix sort gives slices.Sort's order on values of
// every shape binning meets (negatives, zeros of both signs, duplicates,
// small integers whose high digits never change, huge and tiny
// magnitudes, ±Inf), at sizes on both sides of the insertion-sort cutoff.
func TestSortFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gens := map[string]func() float64{
		"normal": rng.NormFloat64,
		"counts": func() float64 { return float64(rng.IntN(40)) },
		"signed": func() float64 { return float64(rng.IntN(21) - 10) },
		"zeros":  func() float64 { return []float64{0, math.Copysign(0, -1), 1, -1}[rng.IntN(4)] },
		"extremes": func() float64 {
			return []float64{math.Inf(-1), -math.MaxFloat64, -1e-300, 5e-324, 1e300, math.Inf(1)}[rng.IntN(6)]
		},
		"wide": func() float64 { return math.Ldexp(rng.Float64()-0.5, rng.IntN(200)-100) },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, 255, 256, 257, 5000} {
			v := make([]float64, n)
			for i := range v {
				v[i] = gen()
			}
			want := slices.Clone(v)
			slices.Sort(want)
			sortFloats(v, make([]uint64, n), make([]uint64, n))
			for i := range v {
				// -0 and +0 compare equal; slices.Sort may order them
				// either way.
				if v[i] != want[i] {
					t.Fatalf("%s, n %d: position %d is %v, want %v", name, n, i, v[i], want[i])
				}
			}
		}
	}
}

// TestBinOf: the branch-free search gives slices.BinarySearch's index on
// thresholds of every length up to 255 (the last +Inf, as binColumns
// makes them), for values below, on, between and above them.
func TestBinOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 2, 3, 17, 128, 129, 254, 255} {
		th := make([]float64, k)
		for i := 0; i < k-1; i++ {
			th[i] = float64(i) * 1.5
		}
		th[k-1] = math.Inf(1)
		var padded [256]float64
		copy(padded[:], th)
		for i := k; i < len(padded); i++ {
			padded[i] = math.Inf(1)
		}
		for trial := 0; trial < 2000; trial++ {
			var x float64
			switch trial % 3 {
			case 0:
				x = th[rng.IntN(max(k-1, 1))] // on a threshold (or Inf when k = 1)
				if math.IsInf(x, 1) {
					x = 1
				}
			case 1:
				x = (rng.Float64()*float64(k+2) - 1) * 1.5
			default:
				x = rng.NormFloat64() * 1e6
			}
			want, _ := slices.BinarySearch(th, x)
			if got := binOf(&padded, x); int(got) != want {
				t.Fatalf("%d thresholds, x = %v: bin %d, want %d", k, x, got, want)
			}
		}
	}
}
