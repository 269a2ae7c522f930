package forecast

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/models"
)

// planned cuts the last h days off a demo series and keeps its covariates
// whole, so that their last h values act as a plan for the forecast.
func planned(t *testing.T, o demo.Options, h int) []*data.Series {
	t.Helper()
	ss := demoSales(t, o)
	for _, s := range ss {
		s.Values = s.Values[:len(s.Values)-h]
	}
	return ss
}

// withoutTimings blanks what differs between two runs of the same
// tournament: the seconds each candidate took.
func withoutTimings(r *Result) Result {
	c := *r
	c.Leaderboard = slices.Clone(r.Leaderboard)
	for i := range c.Leaderboard {
		c.Leaderboard[i].Seconds = 0
	}
	return c
}

// TestTournamentWithoutPlanUnchanged: covariates that are only known over
// the history (every sales upload with a promo column), or planned over
// part of the horizon, are not given to the candidates, so the results are
// exactly those of the series without covariates, as before planned
// covariates existed; the only difference is that the result and the
// outcome name the covariate left out, and why.
func TestTournamentWithoutPlanUnchanged(t *testing.T) {
	ctx := context.Background()
	const h = 14
	o := Options{Horizon: h, TopK: 3, Windows: 2, Candidates: specs(t, "seasonal_naive", "ridge", "hgbt", "random_forest")}
	s := demoSeries(t, 2)[1]
	bare := *s
	bare.Covariates = nil
	short := *s
	short.Covariates = map[string][]float64{"promo": append(slices.Clone(s.Covariates["promo"]), make([]float64, h-1)...)}
	want, err := Tournament(ctx, &bare, o)
	if err != nil {
		t.Fatal(err)
	}
	if want.Result.CovariatesDropped != nil || want.CovariatesDropped != nil {
		t.Errorf("series without covariates: dropped %v", want.Result.CovariatesDropped)
	}
	for _, c := range []struct {
		name string
		in   *data.Series
		why  string
	}{
		{"history-only promo", s, "no plan for 14 of 14 steps"},
		{"promo planned for h-1 steps", &short, "no plan for 1 of 14 steps"},
	} {
		name := c.name
		got, err := Tournament(ctx, c.in, o)
		if err != nil {
			t.Fatal(err)
		}
		dropped := []DroppedCovariate{{Name: "promo", Reason: c.why}}
		if !reflect.DeepEqual(got.Result.CovariatesDropped, dropped) || !reflect.DeepEqual(got.CovariatesDropped, dropped) {
			t.Errorf("%s: dropped %v (outcome %v), want %v", name, got.Result.CovariatesDropped, got.CovariatesDropped, dropped)
		}
		g, w := withoutTimings(got.Result), withoutTimings(want.Result)
		g.CovariatesDropped = nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: result differs from the series without covariates:\n got %+v\nwant %+v", name, g, w)
		}
		if !reflect.DeepEqual(got.Kept, want.Kept) {
			t.Errorf("%s: kept states differ from the series without covariates", name)
		}
		if got.Result.Covariates != nil {
			t.Errorf("%s: covariates %v reported", name, got.Result.Covariates)
		}
	}
}

// spy records the covariates of every input it is fitted on.
type spy struct {
	mu   *sync.Mutex
	seen *[][]string
}

func (s spy) Fit(_ context.Context, in models.Input) (models.Fitted, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.seen = append(*s.seen, slices.Sorted(maps.Keys(in.Covariates)))
	return spyFit{}, nil
}

type spyFit struct{}

func (spyFit) Forecast(_ context.Context, in models.Input, h int) ([]float64, error) {
	return make([]float64, h), nil
}

// TestTournamentPassesKnownCovariates: only covariates finite over the
// whole horizon at the final origin reach the candidates, the same set in
// every backtest fold and the final fit, and the result names them.
func TestTournamentPassesKnownCovariates(t *testing.T) {
	const h = 14
	s := demoSeries(t, 1)[0]
	n := len(s.Values)
	full := func(v float64) []float64 {
		c := make([]float64, n+h)
		for i := range c {
			c[i] = v
		}
		return c
	}
	gap := full(2)
	gap[n+h-1] = math.NaN()
	s.Covariates = map[string][]float64{
		"promo":   append(slices.Clone(s.Covariates["promo"]), make([]float64, h)...), // planned
		"price":   full(2.5),                                                          // planned, and longer is fine
		"holiday": full(0)[:n],                                                        // history only
		"gap":     gap,                                                                // the plan misses the last step
	}
	s.Covariates["price"] = append(s.Covariates["price"], 1, 1)
	var mu sync.Mutex
	var seen [][]string
	sp := models.Spec{Name: "spy", Family: "test", New: func() models.Forecaster { return spy{&mu, &seen} },
		Load: func([]byte) (models.Fitted, error) { return spyFit{}, nil }}
	out, err := Tournament(context.Background(), s, Options{Horizon: h, Windows: 3, Candidates: []models.Spec{sp}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"price", "promo"}
	if len(seen) != 4 {
		t.Fatalf("%d fits, want 3 folds and the final one", len(seen))
	}
	for i, got := range seen {
		if !slices.Equal(got, want) {
			t.Errorf("fit %d saw covariates %v, want %v", i+1, got, want)
		}
	}
	if !slices.Equal(out.Result.Covariates, want) {
		t.Errorf("result covariates %v, want %v", out.Result.Covariates, want)
	}
	b, _ := json.Marshal(out.Result)
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back.Covariates, want) {
		t.Errorf("covariates after JSON: %v, %v", back.Covariates, err)
	}
}

// TestPlannedPromotionMovesTheForecast: with a strong promotion effect and
// a plan, the tournament's forecast is higher on a planned promo day than
// on the same weekday a week before and after, and a refresh with a plan
// that moves the promotion moves the peak: refresh reads the plan as
// loaded now.
func TestPlannedPromotionMovesTheForecast(t *testing.T) {
	ctx := context.Background()
	const h = 28
	s := planned(t, demo.Options{Seed: 5, Stores: 1, SKUs: 1, Days: 500 + h, PromoLift: 2}, h)[0]
	n := len(s.Values)
	plan := func(day int) map[string][]float64 {
		promo := slices.Clone(s.Covariates["promo"])
		for i := n; i < n+h; i++ {
			promo[i] = 0
		}
		promo[n+day] = 1
		return map[string][]float64{"promo": promo}
	}
	s.Covariates = plan(10)
	out, err := Tournament(ctx, s, Options{Horizon: h, TopK: 2, Candidates: specs(t, "ridge", "seasonal_naive")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Result.Covariates, []string{"promo"}) {
		t.Fatalf("covariates %v, want [promo]", out.Result.Covariates)
	}
	peak := func(r *Result, day int) (float64, float64) {
		p := r.Points
		return p[day].Value, math.Max(p[day-7].Value, p[day+7].Value)
	}
	if on, around := peak(out.Result, 10); on < 1.3*around {
		t.Errorf("forecast %.2f on the promo day, %.2f on the same weekday around it: want 30%% more", on, around)
	}
	moved := *s
	moved.Covariates = plan(17)
	ref, err := Refresh(ctx, &moved, out.Result, out.Kept, models.Standard())
	if err != nil {
		t.Fatal(err)
	}
	if on, around := peak(ref.Result, 17); on < 1.3*around {
		t.Errorf("refresh: forecast %.2f on the moved promo day, %.2f around it", on, around)
	}
	if ref.Result.Points[10].Value >= out.Result.Points[10].Value {
		t.Errorf("refresh: day 10 is no longer a promo day but its forecast %.2f did not drop from %.2f",
			ref.Result.Points[10].Value, out.Result.Points[10].Value)
	}
}

// TestPlanReachesTheLongestHorizon: data extends covariate columns far
// enough for any horizon a job may ask for.
func TestPlanReachesTheLongestHorizon(t *testing.T) {
	if data.MaxPlanSteps < MaxHorizon {
		t.Fatalf("data.MaxPlanSteps %d < MaxHorizon %d: plans would be cut short of a long horizon", data.MaxPlanSteps, MaxHorizon)
	}
}

// BenchmarkDemoPromoPlan measures what a promotion plan buys the default
// tournament on demo data as make run generates it (promotion lifts drawn
// from 0.3 to 1 per SKU): 24 series of 730 days, the next 28 held out, one
// tournament given the held-out promo flags as the plan and one given no
// covariates. It reports the combined forecast's MAE on the held-out promo
// days and on the other days, pooled over the series. The figures are
// deterministic; run it once:
//
//	go test -run '^$' -bench DemoPromoPlan -benchtime 1x ./forecast/
func BenchmarkDemoPromoPlan(b *testing.B) {
	ctx := context.Background()
	const h = 28
	all := demoSales(b, demo.Options{Stores: 1, SKUs: 24, Days: 730 + h})
	o := Options{Horizon: h, Candidates: models.Standard().Defaults()}
	var with, without [2]float64 // absolute errors on promo days, other days
	var days [2]int
	for b.Loop() {
		with, without, days = [2]float64{}, [2]float64{}, [2]int{}
		for _, s := range all {
			n := len(s.Values) - h
			plan := *s
			plan.Values = s.Values[:n]
			bare := plan
			bare.Covariates = nil
			a, err := Tournament(ctx, &plan, o)
			if err != nil {
				b.Fatal(err)
			}
			c, err := Tournament(ctx, &bare, o)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < h; i++ {
				k := 1
				if s.Covariates["promo"][n+i] == 1 {
					k = 0
				}
				actual := s.Values[n+i]
				with[k] += math.Abs(a.Result.Points[i].Value - actual)
				without[k] += math.Abs(c.Result.Points[i].Value - actual)
				days[k]++
			}
		}
	}
	b.ReportMetric(with[0]/float64(days[0]), "promo-MAE-planned")
	b.ReportMetric(without[0]/float64(days[0]), "promo-MAE-unplanned")
	b.ReportMetric(with[1]/float64(days[1]), "other-MAE-planned")
	b.ReportMetric(without[1]/float64(days[1]), "other-MAE-unplanned")
	b.ReportMetric(float64(days[0]), "promo-days")
}
