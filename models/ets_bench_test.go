package models

import (
	"context"
	"testing"

	"github.com/forecastd/forecastd/internal/cputime"
)

// etsBenchSeries reads ets/testdata/bench_series.json (written by
// make_bench_series.R beside it): daily store/item series of 1,826 days
// and M4 hourly series of 700 points.
func etsBenchSeries(tb testing.TB) []etsGoldenSeries {
	var v struct {
		Series []etsGoldenSeries `json:"series"`
	}
	readGolden(tb, "ets/testdata/bench_series.json", "models/ets/testdata/make_bench_series.R", &v)
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
				defer cputime.PerOp(b, cputime.Thread)()
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
