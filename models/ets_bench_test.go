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

// etsBenchSeries reads models/ets/testdata/bench_series.json (written by
// make_bench_series.R beside it): daily store/item series of 1,826 days and M4
// hourly series of 700 points.
func etsBenchSeries(tb testing.TB) []struct {
	Name string    `json:"name"`
	M    int       `json:"m"`
	Y    []float64 `json:"y"`
} {
	tb.Helper()
	b, err := os.ReadFile("ets/testdata/bench_series.json")
	if err != nil {
		tb.Fatalf("bench series missing (run models/ets/testdata/make_bench_series.R): %v", err)
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
