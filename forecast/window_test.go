package forecast

import (
	"context"
	"math"
	"testing"

	"github.com/forecastd/forecastd/models"
)

// TestWindowRidgeInTournament checks the pooled ridge (a pooledLearner)
// is trained by Run at every origin, scored on every fold like a local
// candidate, beats seasonal naive's backtest WAPE on store/item's daily
// series pooled over the job, and keeps a state that loads and refreshes
// on a longer history; and that it declines, saying why, in a job whose
// series are too short to cut training windows from at the folds'
// origins.
func TestWindowRidgeInTournament(t *testing.T) {
	series := storeItemSeries(t, "3", 10, 500)
	o := Options{Horizon: 28, TopK: 2, Candidates: specs(t, "seasonal_naive", "global_window_ridge")}
	out, sum := runAll(t, series, o)
	if sum.Full != len(series) {
		t.Fatalf("summary %+v, want every series full", sum)
	}
	var ridge, naive float64
	for k, res := range out {
		for _, e := range res.Result.Leaderboard {
			if e.Error != "" || e.Rank == 0 || e.Folds != 3 {
				t.Errorf("%s: entry %+v, want ranked on 3 folds", k, e)
			}
			switch e.Name {
			case "global_window_ridge":
				ridge += e.Backtest.WAPE
			case "seasonal_naive":
				naive += e.Backtest.WAPE
			}
		}
		for _, p := range res.Result.Points {
			if math.IsNaN(p.Value) || !(p.Lower <= p.Value && p.Value <= p.Upper) {
				t.Fatalf("%s: point %+v", k, p)
			}
		}
		for _, kept := range res.Kept {
			if kept.Name != "global_window_ridge" {
				continue
			}
			spec, _ := models.Standard().Lookup(kept.Name)
			f, err := spec.Load(kept.State)
			if err != nil {
				t.Fatalf("%s: load: %v", k, err)
			}
			s := series[0]
			for _, c := range series {
				if c.Key == k {
					s = c
				}
			}
			// A refresh a week later, with no pool: the saved path,
			// rescaled, from where the week leaves it.
			longer := append(append([]float64{}, s.Values...), s.Values[len(s.Values)-7:]...)
			fc, err := f.Forecast(context.Background(), models.Input{Y: longer, Start: s.Start, Freq: s.Freq, Season: 7}, 28)
			if err != nil || len(fc) != 28 {
				t.Fatalf("%s: refresh: %v (%d points)", k, err, len(fc))
			}
		}
	}
	t.Logf("mean backtest WAPE: global_window_ridge %.4f, seasonal_naive %.4f", ridge/float64(len(out)), naive/float64(len(out)))
	if ridge >= naive {
		t.Errorf("global_window_ridge backtest WAPE %.4f not below seasonal naive's %.4f", ridge/float64(len(out)), naive/float64(len(out)))
	}

	short := storeItemSeries(t, "3", 4, 120)
	out, _ = runAll(t, short, Options{Horizon: 28, Candidates: specs(t, "seasonal_naive", "global_window_ridge")})
	for k, res := range out {
		for _, e := range res.Result.Leaderboard {
			if e.Name == "global_window_ridge" && (e.Rank != 0 || e.Error == "") {
				t.Errorf("%s: %+v, want declined (120 days: no window of 56 inputs and 28 outputs before the folds)", k, e)
			}
		}
	}
}
