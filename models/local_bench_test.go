package models_test

import (
	"context"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
)

// BenchmarkLocalCandidatesM5 times each local candidate of the default
// tournament (the global ones are trained across series, elsewhere) as a
// tournament's backtest runs it on M5-shaped series (1,941 days, what
// `forecastd demo` writes, seed 42): fit and forecast h=28 on each of 3
// rolling folds, 28 days apart, the last testing the final 28 days, one
// models.Shared per series as the tournament keeps. No racing: every
// candidate runs every fold, so the figures are the cost racing starts
// from. It reports the thread CPU seconds per series of all of them and,
// with -v, per candidate, largest first (FORECASTD_BENCH_SERIES series,
// default 30):
//
//	go test -run '^$' -bench LocalCandidatesM5 -benchtime 1x -v ./models/
func BenchmarkLocalCandidatesM5(b *testing.B) {
	n := 30
	if v, err := strconv.Atoi(os.Getenv("FORECASTD_BENCH_SERIES")); err == nil && v > 0 {
		n = v
	}
	const h, windows = 28, 3
	ins := m5Inputs(b, n, h)
	var specs []models.Spec
	for _, sp := range models.Standard().Defaults() {
		if !sp.Global {
			specs = append(specs, sp)
		}
	}
	ctx := context.Background()
	// Thread CPU time is only the candidate's while the goroutine stays
	// on one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := make([]time.Duration, len(specs))
	b.ResetTimer()
	for range b.N {
		for _, in := range ins {
			in.Shared = models.NewShared()
			for j := windows - 1; j >= 0; j-- {
				fold := in
				fold.Y = in.Y[: len(in.Y)-h-j*h : len(in.Y)-h-j*h]
				for k, sp := range specs {
					t0 := cputime.Thread()
					if f, err := sp.New().Fit(ctx, fold); err == nil {
						if _, err := f.Forecast(ctx, fold, h); err != nil {
							b.Fatalf("%s: %v", sp.Name, err)
						}
					}
					cpu[k] += cputime.Thread() - t0
				}
			}
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N*len(ins)) }
	var total time.Duration
	order := make([]int, len(specs))
	for k := range specs {
		order[k] = k
		total += cpu[k]
	}
	sort.Slice(order, func(i, j int) bool { return cpu[order[i]] > cpu[order[j]] })
	b.ReportMetric(per(total), "cpu-s/series")
	for _, k := range order {
		b.Logf("%-24s %8.4f cpu-s/series %5.1f%%", specs[k].Name, per(cpu[k]), 100*cpu[k].Seconds()/total.Seconds())
	}
}

// m5Inputs is n M5-shaped series assembled as the job path does, as
// tournament inputs: daily with a weekly season, and only the covariates
// planned over the h days after the history (the tournament's rule), which
// the demo's have not.
func m5Inputs(tb testing.TB, n, h int) []models.Input {
	tb.Helper()
	ss, err := demo.M5Series(context.Background(), demo.M5Options{Stores: 1, SKUs: n})
	if err != nil {
		tb.Fatal(err)
	}
	ins := make([]models.Input, len(ss))
	for i, s := range ss {
		cov := map[string][]float64{}
		for name, col := range s.Covariates {
			planned := len(col) >= len(s.Values)+h
			for _, v := range col[len(s.Values):min(len(col), len(s.Values)+h)] {
				planned = planned && !math.IsNaN(v) && !math.IsInf(v, 0)
			}
			if planned {
				cov[name] = col
			}
		}
		if len(cov) == 0 {
			cov = nil
		}
		ins[i] = models.Input{Y: s.Values, Start: s.Start, Freq: s.Freq, Season: 7, Covariates: cov}
	}
	return ins
}
