package ets

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/forecastd/forecastd/internal/cputime"
)

// benchSeries reads testdata/bench_series.json (written by
// make_bench_series.R): daily store/item series of 1,826 days and M4
// hourly series of 700 points.
func benchSeries(tb testing.TB) []struct {
	Name string    `json:"name"`
	M    int       `json:"m"`
	Y    []float64 `json:"y"`
} {
	tb.Helper()
	b, err := os.ReadFile("testdata/bench_series.json")
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

// BenchmarkFilter times one pass of the recursion (one objective
// evaluation) on the daily series: it must not allocate.
//
//	go test -run '^$' -bench 'BenchmarkFilter' ./models/ets/
func BenchmarkFilter(b *testing.B) {
	s := benchSeries(b)[0]
	for _, model := range []string{"ANN", "AAdA", "MNA", "MAdM"} {
		f, _ := ParseForm(model)
		x0 := make([]float64, nStates(f, 7))
		x0[0] = 20
		for j := 1; j < len(x0); j++ {
			x0[j] = 1
		}
		if f.Season == Add {
			for j := 2; j < len(x0); j++ {
				x0[j] = 0
			}
		}
		ring := make([]float64, 7)
		p := Params{Alpha: 0.2, Beta: 0.01, Gamma: 0.05, Phi: 0.95}
		b.Run(model, func(b *testing.B) {
			b.ReportAllocs()
			defer cputime.PerOp(b, cputime.Thread)()
			for i := 0; i < b.N; i++ {
				filter(f, 7, p, x0, s.Y, ring, nil)
			}
		})
	}
}
