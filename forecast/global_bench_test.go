package forecast

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/models"
)

// m5Batch is stores x skus M5-shaped series (bench/scale's data, seed
// 42): 1,941 days, covariates price and promo.
func m5Batch(b *testing.B, stores, skus int) []*data.Series {
	b.Helper()
	var buf bytes.Buffer
	if _, err := demo.WriteM5(context.Background(), &buf, demo.M5Options{Stores: stores, SKUs: skus}); err != nil {
		b.Fatal(err)
	}
	var obs []data.Observation
	if err := ingest.ParseCSV(&buf, func(o data.Observation) error { obs = append(obs, o); return nil }); err != nil {
		b.Fatal(err)
	}
	series, err := ingest.Assemble(obs, data.Daily)
	if err != nil {
		b.Fatal(err)
	}
	return series
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail with RUSAGE_SELF
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkGlobalPoolM5 trains the default tournament's global pool on
// one streamed job batch of M5-shaped series (1,000: jobs'
// DefaultBatchSize, h=28, 3 folds), and reports the process CPU-seconds
// per series it took: issue 20's budget for the global candidates is
// 0.03.
func BenchmarkGlobalPoolM5(b *testing.B) {
	series := m5Batch(b, 10, 100)
	o := Options{Horizon: 28, Candidates: specsB(b, "global_gbdt", "global_gbdt_direct", "global_gbdt_tweedie"), Workers: 2}
	if err := o.Validate(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	var rows int
	for i := 0; i < b.N; i++ {
		pool, err := trainGlobal(context.Background(), series, o)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, g := range uniqueGroups(pool) {
			for _, byOff := range g.models {
				for _, m := range byOff {
					rows += m.Rows
				}
			}
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N*len(series)), "cpu-s/series")
	b.ReportMetric(float64(rows), "rows")
}

func uniqueGroups(p *globalPool) []*globalGroup {
	seen := map[*globalGroup]bool{}
	var out []*globalGroup
	for _, g := range p.groups {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func specsB(b *testing.B, names ...string) []models.Spec {
	b.Helper()
	sp, err := models.Standard().Select(names)
	if err != nil {
		b.Fatal(err)
	}
	return sp
}
