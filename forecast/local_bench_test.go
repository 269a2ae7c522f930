package forecast

import (
	"context"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
)

// m5Shaped is n M5-shaped series (1,941 days, what `forecastd demo`
// writes, seed 42: one store, n SKUs), assembled as the job path does.
func m5Shaped(tb testing.TB, n int) []*data.Series {
	tb.Helper()
	ss, err := demo.M5Series(context.Background(), demo.M5Options{Stores: 1, SKUs: n})
	if err != nil {
		tb.Fatal(err)
	}
	return ss
}

// localDefaults are the default candidates without the global ones: the
// per-series work issue 20's speed target is about.
func localDefaults() []models.Spec {
	var out []models.Spec
	for _, sp := range models.Standard().Defaults() {
		if !sp.Global {
			out = append(out, sp)
		}
	}
	return out
}

// BenchmarkTournamentLocalM5 is the default tournament without its
// global candidates (h=28, 3 folds, racing fast) on M5-shaped series
// (FORECASTD_BENCH_SERIES of them, default 40), one after another. It
// reports CPU seconds per series and, with -v, the fit seconds per
// candidate-fold the leaderboards record, largest first:
//
//	go test -run '^$' -bench TournamentLocalM5 -benchtime 1x -cpuprofile /tmp/l.prof -v ./forecast/
func BenchmarkTournamentLocalM5(b *testing.B) {
	n := 40
	if v, err := strconv.Atoi(os.Getenv("FORECASTD_BENCH_SERIES")); err == nil && v > 0 {
		n = v
	}
	ss := m5Shaped(b, n)
	o := Options{Horizon: 28, Racing: RacingFast, Candidates: localDefaults()}
	secs := map[string]float64{}
	folds := map[string]int{}
	b.ResetTimer()
	cpu0 := cputime.Process().Seconds()
	for i := 0; i < b.N; i++ {
		for _, s := range ss {
			out, err := Tournament(context.Background(), s, o)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range out.Result.Leaderboard {
				secs[e.Name] += e.Seconds
				folds[e.Name] += e.Folds
			}
		}
	}
	b.ReportMetric((cputime.Process().Seconds()-cpu0)/float64(b.N*len(ss)), "cpu-s/series")
	names := make([]string, 0, len(secs))
	total := 0.0
	for k, v := range secs {
		names = append(names, k)
		total += v
	}
	sort.Slice(names, func(i, j int) bool { return secs[names[i]] > secs[names[j]] })
	for _, k := range names {
		b.Logf("%-26s %8.4f s/series %8.5f s/fold %5.2f folds/series %5.1f%%", k, secs[k]/float64(b.N*len(ss)),
			secs[k]/float64(max(1, folds[k])), float64(folds[k])/float64(b.N*len(ss)), 100*secs[k]/total)
	}
}
