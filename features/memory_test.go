package features

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/forecastd/forecastd/data"
)

// demoSeries makes k daily series of two years with a trend, weekly and
// yearly seasonality, noise, a few stock-outs (zeros), NaN gaps and a promo
// flag, like the demo data set.
func demoSeries(rng *rand.Rand, k int) []*data.Series {
	const n = 730
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*data.Series, k)
	for s := range out {
		y := make([]float64, n)
		promo := make([]float64, n+28)
		level := 5 + 50*rng.Float64()
		for i := range y {
			week := 1 + 0.3*math.Sin(2*math.Pi*float64(i)/7)
			year := 1 + 0.2*math.Sin(2*math.Pi*float64(i)/365.25)
			y[i] = math.Round(math.Max(0, level*week*year*(1+0.001*float64(i))+rng.NormFloat64()*2))
			if rng.IntN(50) == 0 {
				y[i] = 0
			}
		}
		for i := 100 + s; i < 100+s+rng.IntN(5); i++ {
			y[i] = math.NaN()
		}
		for i := range promo {
			if rng.IntN(10) == 0 {
				promo[i] = 1
			}
		}
		out[s] = &data.Series{
			Key:        data.Key{Store: "S1", SKU: string(rune('A' + s%26))},
			Freq:       data.Daily,
			Start:      start,
			Values:     y,
			Covariates: map[string][]float64{"promo": promo},
		}
	}
	return out
}

// leakConfig is the pipeline's feature set (DefaultConfig) with the promo
// covariate, plus one column of every other kernel over a short window.
func leakConfig() Config {
	cfg := DefaultConfig()
	cfg.Covariates = []string{"promo"}
	cfg.Windows = []int{7, 28}
	cfg.EWMAlphas = []float64{0.3}
	cfg.Expanding = true
	return cfg
}

// fullConfig is a large feature set, every kernel included.
func fullConfig() Config {
	return Config{
		Lags:       []int{1, 7, 14, 28},
		Windows:    []int{7, 14, 28, 91},
		Stats:      []Stat{Min, Max, Mean, Std, Var, Sum, Median, Zeros},
		Quantiles:  []float64{0.1, 0.9},
		EWMAlphas:  []float64{0.1, 0.5},
		Expanding:  true,
		YearAgo:    true,
		Calendar:   true,
		Covariates: []string{"promo"},
	}
}

func liveHeap(sample []metrics.Sample) float64 {
	runtime.GC()
	runtime.GC()
	metrics.Read(sample)
	return float64(sample[0].Value.Uint64())
}

// TestNoMemoryGrowth is the Go version of the pandas rolling min/max leak
// (memory that grows with every call): it builds the full feature set of 60
// demo-like series 500 times, each time with a new Builder, samples the live heap after two GCs every 50 iterations, and
// requires the least-squares slope of live heap against iteration
// (gonum/stat.LinearRegression) to stay under 1 KiB per iteration. A
// leak of even one feature row per iteration would exceed it.
func TestNoMemoryGrowth(t *testing.T) {
	const (
		iters = 500
		every = 50
		bound = 1024.0 // bytes per iteration
	)
	rng := rand.New(rand.NewPCG(2024, 1))
	series := demoSeries(rng, 60)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var xs, ys []float64
	var sink float64
	var m, buf []float64 // reused, as a worker would
	var r Roller
	begin := time.Now()
	for it := 1; it <= iters; it++ {
		b, err := NewBuilder(leakConfig())
		if err != nil {
			t.Fatal(err)
		}
		m = m[:0]
		for _, s := range series {
			m = b.AppendSeries(m, s, 0, s.Len()+1)
		}
		// The other kernels, on a short window, over one series in turn.
		{
			s := series[it%len(series)]
			buf = r.Sum(buf, s.Values, 7, 1)
			buf = r.Var(buf, s.Values, 7, 1)
			buf = r.Median(buf, s.Values, 7, 1)
			buf = r.Quantile(buf, s.Values, 7, 1, 0.9)
			buf = r.Zeros(buf, s.Values, 7, 1)
		}
		sink += m[len(m)-1]
		if it%every == 0 {
			xs = append(xs, float64(it))
			ys = append(ys, liveHeap(sample))
		}
	}
	if sample[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("runtime/metrics has no %s", sample[0].Name)
	}
	alpha, beta := stat.LinearRegression(xs, ys, nil, false)
	t.Logf("%d iterations in %v; live heap %.0f..%.0f bytes; slope %.1f bytes/iteration (intercept %.0f)",
		iters, time.Since(begin).Round(time.Millisecond), ys[0], ys[len(ys)-1], beta, alpha)
	if beta > bound {
		t.Errorf("live heap grows by %.0f bytes per iteration, want < %.0f; samples %v", beta, bound, ys)
	}
	_ = sink
}
