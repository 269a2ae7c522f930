package features

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// TestZeroAllocs proves that warm kernels and Builder methods allocate
// nothing: buffers are reused across calls and series.
func TestZeroAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := randomSeries(rng, 2000)
	var r Roller
	dst := make([]float64, len(x))
	const w = 28
	e := EWM{Alpha: 0.3, Adjust: true}
	for _, k := range []struct {
		name string
		f    func()
	}{
		{"Sum", func() { r.Sum(dst, x, w, 1) }},
		{"Mean", func() { r.Mean(dst, x, w, 1) }},
		{"Var", func() { r.Var(dst, x, w, 1) }},
		{"Std", func() { r.Std(dst, x, w, 1) }},
		{"Min", func() { r.Min(dst, x, w, 1) }},
		{"Max", func() { r.Max(dst, x, w, 1) }},
		{"Median", func() { r.Median(dst, x, w, 1) }},
		{"Quantile", func() { r.Quantile(dst, x, w, 1, 0.9) }},
		{"Zeros", func() { r.Zeros(dst, x, w, 1) }},
		{"EWM", func() { e.Mean(dst, x) }},
		{"ExpandingMean", func() { ExpandingMean(dst, x, 1) }},
	} {
		if a := testing.AllocsPerRun(20, k.f); a != 0 {
			t.Errorf("%s: %v allocations per call, want 0", k.name, a)
		}
	}

	b, err := NewBuilder(allConfig())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cov := map[string][]float64{"promo": randomSeries(rng, len(x)+1)}
	m := b.MatrixCov(nil, x, cov, start, data.Daily, 0, len(x)+1)
	row := b.RowCov(nil, x, cov, start, data.Daily)
	series := &data.Series{Values: x, Covariates: cov, Start: start, Freq: data.Daily}
	all := b.AppendSeries(nil, series, 0, len(x)+1)
	for _, k := range []struct {
		name string
		f    func()
	}{
		{"Matrix", func() { b.Matrix(m, x, start, data.Daily, 0, len(x)+1) }},
		{"MatrixCov", func() { b.MatrixCov(m, x, cov, start, data.Daily, 100, len(x)+1) }},
		{"Row", func() { b.Row(row, x, start, data.Daily) }},
		{"RowCov", func() { b.RowCov(row, x, cov, start, data.Daily) }},
		{"AppendSeries", func() { b.AppendSeries(all[:0], series, 0, len(x)+1) }},
	} {
		if a := testing.AllocsPerRun(20, k.f); a != 0 {
			t.Errorf("Builder.%s: %v allocations per call, want 0", k.name, a)
		}
	}
}

func benchSeries(n int) []float64 {
	return randomSeries(rand.New(rand.NewPCG(1, 2)), n)
}

func BenchmarkKernels(b *testing.B) {
	const n = 10000
	x := benchSeries(n)
	dst := make([]float64, n)
	var r Roller
	kernels := []struct {
		name string
		f    func(w int)
	}{
		{"Sum", func(w int) { r.Sum(dst, x, w, 1) }},
		{"Mean", func(w int) { r.Mean(dst, x, w, 1) }},
		{"Std", func(w int) { r.Std(dst, x, w, 1) }},
		{"Min", func(w int) { r.Min(dst, x, w, 1) }},
		{"Max", func(w int) { r.Max(dst, x, w, 1) }},
		{"Median", func(w int) { r.Median(dst, x, w, 1) }},
		{"Quantile", func(w int) { r.Quantile(dst, x, w, 1, 0.9) }},
		{"Zeros", func(w int) { r.Zeros(dst, x, w, 1) }},
	}
	for _, k := range kernels {
		for _, w := range []int{7, 28, 365} {
			b.Run(fmt.Sprintf("%s/w=%d", k.name, w), func(b *testing.B) {
				k.f(w) // grow the Roller's scratch space outside the measurement
				b.ReportAllocs()
				b.SetBytes(8 * n)
				for b.Loop() {
					k.f(w)
				}
			})
		}
	}
	e := EWM{Alpha: 0.3, Adjust: true}
	b.Run("EWM", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(8 * n)
		for b.Loop() {
			e.Mean(dst, x)
		}
	})
	b.Run("ExpandingMean", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(8 * n)
		for b.Loop() {
			ExpandingMean(dst, x, 1)
		}
	})
}

// bench20 is the 20-feature set of bench/features (rolling min, max,
// mean, std and sum over 7, 14 and 28 days, lags 1, 7, 14 and 28, same day
// last year).
func bench20() Config {
	return Config{
		Lags:    []int{1, 7, 14, 28},
		Windows: []int{7, 14, 28},
		Stats:   []Stat{Min, Max, Mean, Std, Sum},
		YearAgo: true,
	}
}

func BenchmarkBuilder(b *testing.B) {
	start := time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"default", DefaultConfig()},
		{"bench20", bench20()},
		{"full", fullConfig()},
	} {
		bl, err := NewBuilder(tc.cfg)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{365, 1826} {
			y := benchSeries(n)
			m := bl.Matrix(nil, y, start, data.Daily, 0, n+1)
			b.Run(fmt.Sprintf("Matrix/%s/n=%d", tc.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bl.Matrix(m, y, start, data.Daily, 0, n+1)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(n+1)), "ns/row")
			})
			row := bl.Row(nil, y, start, data.Daily)
			b.Run(fmt.Sprintf("Row/%s/n=%d", tc.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bl.Row(row, y, start, data.Daily)
				}
			})
		}
	}
}
