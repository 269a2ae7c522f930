package forecast

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/models"
)

// demoSales is the daily demo data that o describes, as series.
func demoSales(tb testing.TB, o demo.Options) []*data.Series {
	tb.Helper()
	ss, err := ingest.Assemble(demo.Sales(o), data.Daily)
	if err != nil {
		tb.Fatal(err)
	}
	return ss
}

func demoSeries(t *testing.T, skus int) []*data.Series {
	t.Helper()
	return demoSales(t, demo.Options{Stores: 1, SKUs: skus, Days: 400})
}

func specs(t *testing.T, names ...string) []models.Spec {
	t.Helper()
	sp, err := models.Standard().Select(names)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestTournamentKeepsTopK(t *testing.T) {
	s := demoSeries(t, 1)[0]
	o := Options{Horizon: 28, TopK: 2, Windows: 3, Candidates: specs(t, "naive", "seasonal_naive", "ridge")}
	out, err := Tournament(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	r := out.Result
	if len(r.Points) != 28 || len(r.Models) != 2 || len(out.Kept) != 2 || len(r.Leaderboard) != 3 {
		t.Fatalf("points %d models %d kept %d leaderboard %d", len(r.Points), len(r.Models), len(out.Kept), len(r.Leaderboard))
	}
	// The leaderboard is ordered by rank, and ranks follow the metric.
	for i := 1; i < len(r.Leaderboard); i++ {
		a, b := r.Leaderboard[i-1], r.Leaderboard[i]
		if a.Rank != i || a.Backtest.MASE > b.Backtest.MASE {
			t.Errorf("leaderboard out of order: %+v then %+v", a, b)
		}
	}
	if r.Leaderboard[2].Kept {
		t.Error("third-ranked model kept with top_k 2")
	}
	// Weekly seasonality: seasonal naive must beat naive on demo data.
	rank := map[string]int{}
	for _, e := range r.Leaderboard {
		rank[e.Name] = e.Rank
	}
	if rank["seasonal_naive"] > rank["naive"] {
		t.Errorf("naive ranked above seasonal_naive: %v", rank)
	}
	for _, p := range r.Points {
		if !(p.Lower95 <= p.Lower && p.Lower <= p.Value && p.Value <= p.Upper && p.Upper <= p.Upper95) || p.Lower < 0 {
			t.Fatalf("bad interval %+v", p)
		}
	}
	if math.IsNaN(r.Coverage80) || r.Coverage80 < 0.4 {
		t.Errorf("coverage80 = %v", r.Coverage80)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	// Kept states load and forecast identically.
	for _, k := range out.Kept {
		spec, _ := models.Standard().Lookup(k.Name)
		f, err := spec.Load(k.State)
		if err != nil {
			t.Fatal(err)
		}
		in := models.Input{Y: s.Values, Start: s.Start, Freq: s.Freq, Season: 7}
		if _, err := f.Forecast(context.Background(), in, 28); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTournamentFallbackAndFailures(t *testing.T) {
	s := demoSeries(t, 1)[0]
	short := *s
	short.Values = s.Values[:10]
	out, err := Tournament(context.Background(), &short, Options{Horizon: 28, Candidates: specs(t, "naive")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result.Fallback == "" || len(out.Result.Points) != 28 {
		t.Fatalf("short series: fallback %q points %d", out.Result.Fallback, len(out.Result.Points))
	}
	// A model that fails on every fold is recorded, not fatal.
	bad := models.Spec{Name: "broken", Family: "test", New: func() models.Forecaster { return broken{} },
		Load: func([]byte) (models.Fitted, error) { return nil, nil }}
	out, err = Tournament(context.Background(), s, Options{Horizon: 7, Candidates: append(specs(t, "naive"), bad)})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range out.Result.Leaderboard {
		if e.Name == "broken" {
			found = e.Error != "" && e.Rank == 0 && !e.Kept
		}
	}
	if !found || len(out.Result.Models) != 1 {
		t.Fatalf("broken model not recorded: %+v", out.Result.Leaderboard)
	}
}

type broken struct{}

func (broken) Fit(context.Context, models.Input) (models.Fitted, error) { panic("boom") }

func TestRunAllSeries(t *testing.T) {
	ss := demoSeries(t, 4)
	var got, last int
	err := Run(context.Background(), ss, Options{Horizon: 14, Workers: 2, Candidates: specs(t, "naive", "seasonal_naive")},
		func(s *data.Series, o *Outcome, err error) error {
			if err != nil {
				t.Errorf("%s: %v", s.Key, err)
			}
			got++
			return nil
		}, func(done, total int) { last = done })
	if err != nil || got != 4 || last != 4 {
		t.Fatalf("Run: err %v, got %d, progress %d", err, got, last)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, ss, Options{Horizon: 14, Candidates: specs(t, "naive")}, func(*data.Series, *Outcome, error) error { return nil }, nil); err == nil {
		t.Fatal("Run on a cancelled context returned nil")
	}
}

// BenchmarkTournament measures one default tournament (the registry's
// default candidates, 3 folds, horizon 28) on one two-year daily demo
// series, the unit of work a training job repeats per series. It is the
// cost a refactoring of Tournament must not move:
//
//	go test -run '^$' -bench Tournament -benchtime 3x ./forecast/
func BenchmarkTournament(b *testing.B) {
	ss := demoSales(b, demo.Options{Stores: 1, SKUs: 1})
	o := Options{Horizon: 28, Candidates: models.Standard().Defaults()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Tournament(ctx, ss[0], o); err != nil {
			b.Fatal(err)
		}
	}
}
