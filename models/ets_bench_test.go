package models

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"syscall"
	"testing"
)

// etsThreadCPU returns the CPU time of the calling OS thread in ns. On a
// shared machine wall-clock ns/op measures the run queue as much as the
// code, so the benchmarks also report cpu-ns/op (Linux RUSAGE_THREAD).
func etsThreadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// etsCPUTimer reports cpu-ns/op for the loop it brackets.
func etsCPUTimer(b *testing.B) func() {
	runtime.LockOSThread()
	c0 := etsThreadCPU()
	return func() {
		b.ReportMetric(float64(etsThreadCPU()-c0)/float64(b.N), "cpu-ns/op")
		runtime.UnlockOSThread()
	}
}

// etsBenchSeries reads models/testdata/ets/bench_series.json (written by
// make_bench_series.R): daily store/item series of 1,826 days and M4
// hourly series of 700 points.
func etsBenchSeries(tb testing.TB) []struct {
	Name string    `json:"name"`
	M    int       `json:"m"`
	Y    []float64 `json:"y"`
} {
	tb.Helper()
	b, err := os.ReadFile("testdata/ets/bench_series.json")
	if err != nil {
		tb.Fatalf("bench series missing (run models/testdata/ets/make_bench_series.R): %v", err)
	}
	var v struct {
		Series []struct {
			Name string    `json:"name"`
			M    int       `json:"m"`
			Y    []float64 `json:"y"`
		} `json:"series"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	return v.Series
}

// BenchmarkETS times fit + forecast (two seasons ahead) for each ETS
// candidate and baseline on the first daily (1,826 points, season 7) and
// first hourly (700 points, season 24) benchmark series.
//
//	go test -run '^$' -bench 'BenchmarkETS' -benchtime 20x ./models/
func BenchmarkETS(b *testing.B) {
	all := etsBenchSeries(b)
	series := []int{0, 3}
	reg := Standard()
	names := []string{"auto_ets", "holt", "damped_holt", "holt_winters_add", "holt_winters_mul",
		"mean", "window_average", "seasonal_window_average", "drift"}
	ctx := context.Background()
	for _, si := range series {
		s := all[si]
		in := Input{Y: s.Y, Season: s.M}
		for _, name := range names {
			spec, ok := reg.Lookup(name)
			if !ok {
				b.Fatalf("%s not registered", name)
			}
			b.Run(s.Name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				defer etsCPUTimer(b)()
				for i := 0; i < b.N; i++ {
					fd, err := spec.New().Fit(ctx, in)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := fd.Forecast(ctx, in, 2*s.M); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkETSFilter times one pass of the recursion (one objective
// evaluation) on the daily series: it must not allocate.
func BenchmarkETSFilter(b *testing.B) {
	s := etsBenchSeries(b)[0]
	for _, model := range []string{"ANN", "AAdA", "MNA", "MAdM"} {
		f, _ := etsParseForm(model)
		x0 := make([]float64, etsNStates(f, 7))
		x0[0] = 20
		for j := 1; j < len(x0); j++ {
			x0[j] = 1
		}
		if f.Season == etsAdd {
			for j := 2; j < len(x0); j++ {
				x0[j] = 0
			}
		}
		ring := make([]float64, 7)
		p := etsParams{Alpha: 0.2, Beta: 0.01, Gamma: 0.05, Phi: 0.95}
		b.Run(model, func(b *testing.B) {
			b.ReportAllocs()
			defer etsCPUTimer(b)()
			for i := 0; i < b.N; i++ {
				etsFilter(f, 7, p, x0, s.Y, ring, nil)
			}
		})
	}
}
