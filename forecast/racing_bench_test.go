package forecast

import (
	"context"
	"encoding/csv"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
)

// BenchmarkTournamentLong is the default tournament (h=28, 3 folds) on
// four five-year daily demo series, the length of the store/item data,
// one series after another. Its CPU profile carries the model, fit and
// phase labels of every fit, so it says where the time goes per
// candidate:
//
//	go test -run '^$' -bench TournamentLong -benchtime 2x -cpuprofile /tmp/t.prof ./forecast/
//	go tool pprof -tags /tmp/t.prof
func BenchmarkTournamentLong(b *testing.B) {
	ss := demoSales(b, demo.Options{Stores: 1, SKUs: 4, Days: 1826})
	benchRacing(b, ss)
}

// m5SampleFile is the ten real M5 series of the shared data (wide
// layout: id, five id columns, then d_1..d_1913 daily unit sales).
const m5SampleFile = "../../shared/data/m5_sample/sales_train_validation.csv"

// m5Sample reads the ten M5 series, daily from 2011-01-29.
func m5Sample(tb testing.TB) []*data.Series {
	tb.Helper()
	f, err := os.Open(m5SampleFile)
	if err != nil {
		tb.Fatalf("the M5 sample is not here: %v", err)
	}
	defer func() { _ = f.Close() }() // read-only
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC)
	var ss []*data.Series
	for _, r := range rows[1:] {
		v := make([]float64, len(r)-6)
		for i, x := range r[6:] {
			if v[i], err = strconv.ParseFloat(x, 64); err != nil {
				tb.Fatal(err)
			}
		}
		ss = append(ss, &data.Series{Key: data.Key{Store: r[4], SKU: r[1]}, Freq: data.Daily, Start: start, Values: v})
	}
	return ss
}

// BenchmarkTournamentM5 is the default tournament (h=28, 3 folds) on the
// ten real M5 series (1,913 days, intermittent counts), the shape of the
// M5 scale target, with racing off, exact and fast:
//
//	go test -run '^$' -bench TournamentM5 -benchtime 1x -cpuprofile /tmp/m5.prof ./forecast/
//	go tool pprof -tags /tmp/m5.prof
func BenchmarkTournamentM5(b *testing.B) {
	ss := m5Sample(b)
	benchRacing(b, ss)
}

// benchRacing runs the default tournament (h=28, 3 folds) on each of
// ss, one series after another, with racing off, exact and fast, and
// reports the CPU seconds and candidate-folds per series of each.
func benchRacing(b *testing.B, ss []*data.Series) {
	for _, racing := range []Racing{RacingOff, RacingExact, RacingFast} {
		o := Options{Horizon: 28, Racing: racing, Candidates: models.Standard().Defaults()}
		b.Run(string(racing), func(b *testing.B) {
			cpu0 := cputime.Process().Seconds()
			folds := 0
			for i := 0; i < b.N; i++ {
				for _, s := range ss {
					out, err := Tournament(context.Background(), s, o)
					if err != nil {
						b.Fatal(err)
					}
					folds += foldsRun(out)
				}
			}
			b.ReportMetric((cputime.Process().Seconds()-cpu0)/float64(b.N*len(ss)), "cpu-s/series")
			b.ReportMetric(float64(folds)/float64(b.N*len(ss)), "candidate-folds/series")
		})
	}
}

// foldsRun counts the candidate-folds a tournament's leaderboard ran
// (a failed candidate's are not counted): what racing saves.
func foldsRun(out *Outcome) int {
	n := 0
	for _, e := range out.Result.Leaderboard {
		n += e.Folds
	}
	return n
}
