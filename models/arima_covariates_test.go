package models

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// promoSeries is store1_item1 of models/arima's golden file (365 days
// and a 28-day holdout) with a seeded promotion flag whose effect, 120% of
// the mean, is added to the series; the flag is planned over the whole
// holdout, with promotions on days 3-5, 12-13 and 20-23 of it.
func promoSeries(t *testing.T) (in Input, test []float64, promoDays []int) {
	t.Helper()
	y, test, m := arimaGoldenSeries(t, "store1_item1")
	n, h := len(y), len(test)
	rng := rand.New(rand.NewPCG(7, 11))
	promo := make([]float64, n+h)
	for i := 0; i < n; {
		if rng.Float64() < 0.07 {
			for j := i; j < min(n, i+2+rng.IntN(4)); j++ {
				promo[j] = 1
			}
			i += 8
		} else {
			i++
		}
	}
	for _, d := range []int{2, 3, 4, 11, 12, 19, 20, 21, 22} {
		promo[n+d] = 1
		promoDays = append(promoDays, d)
	}
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	lift := 1.2 * mean / float64(n)
	yy := append([]float64(nil), y...)
	for i := range yy {
		yy[i] += lift * promo[i]
	}
	tt := append([]float64(nil), test...)
	for i := range tt {
		tt[i] += lift * promo[n+i]
	}
	in = Input{Y: yy, Start: time.Date(2016, 12, 4, 0, 0, 0, 0, time.UTC), Freq: data.Daily, Season: m,
		Covariates: map[string][]float64{"promo": promo}}
	return in, tt, promoDays
}

// TestARIMAUsesCovariates: on a series with a strong promotion effect
// and a promotion planned in the horizon, both ARIMA candidates with the
// covariate forecast the held-out promotion days with a mean absolute
// error at least 30% below the one they make without it (the rest is the
// series' own noise: the holdout has days of 6 and 7 sales), record the covariate in
// their state, survive a JSON round trip, and fall back to the training
// mean for a plan that is missing.
func TestARIMAUsesCovariates(t *testing.T) {
	in, test, promoDays := promoSeries(t)
	h := len(test)
	ctx := context.Background()
	for _, name := range []string{"arima", "auto_arima"} {
		t.Run(name, func(t *testing.T) {
			spec, _ := Standard().Lookup(name)
			with, err := spec.New().Fit(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			plain := in
			plain.Covariates = nil
			without, err := spec.New().Fit(ctx, plain)
			if err != nil {
				t.Fatal(err)
			}
			if got := with.(*arimaFit).Covariates; len(got) != 1 || got[0] != "promo" {
				t.Fatalf("covariates %v, want [promo]", got)
			}
			fw, err := with.Forecast(ctx, in, h)
			if err != nil {
				t.Fatal(err)
			}
			fo, err := without.Forecast(ctx, plain, h)
			if err != nil {
				t.Fatal(err)
			}
			var ew, eo float64
			for _, d := range promoDays {
				ew += math.Abs(fw[d]-test[d]) / float64(len(promoDays))
				eo += math.Abs(fo[d]-test[d]) / float64(len(promoDays))
			}
			t.Logf("MAE on promo days: %.2f with the covariate, %.2f without", ew, eo)
			if !(ew < 0.7*eo) {
				t.Errorf("MAE on promo days %.2f with the covariate, %.2f without: want 30%% less", ew, eo)
			}
			loaded, _ := reload(t, spec, with)
			assertSameForecast(t, "after JSON round trip", mustForecast(t, loaded, in, h), fw)
			// A plan that ends early: the missing days are forecast as
			// days with the mean promotion intensity, between a promo
			// day and a normal one.
			short := in
			short.Covariates = map[string][]float64{"promo": in.Covariates["promo"][:len(in.Y)+3]}
			f3, err := loaded.Forecast(ctx, short, h)
			if err != nil {
				t.Fatal(err)
			}
			fit := with.(*arimaFit)
			beta, mean := fit.Model.XReg[0], fit.CovariateMeans[0]
			for _, d := range []int{3, 4, 5} { // promo, promo, no promo
				want := fw[d] + (mean-in.Covariates["promo"][len(in.Y)+d])*beta
				if math.Abs(f3[d]-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("day %d with no plan: forecast %v, want %v", d, f3[d], want)
				}
			}
		})
	}
}

// TestARIMACovariateFallback: a covariate that duplicates another makes
// the regression singular, and the candidate falls back to fitting
// without covariates, forecasting exactly as with none.
func TestARIMACovariateFallback(t *testing.T) {
	in, test, _ := promoSeries(t)
	ctx := context.Background()
	dup := in
	dup.Covariates = map[string][]float64{"a": in.Covariates["promo"], "b": in.Covariates["promo"]}
	plain := in
	plain.Covariates = nil
	spec, _ := Standard().Lookup("arima")
	fd, err := spec.New().Fit(ctx, dup)
	if err != nil {
		t.Fatal(err)
	}
	if c := fd.(*arimaFit).Covariates; len(c) != 0 {
		t.Fatalf("singular covariates kept: %v", c)
	}
	fp, err := spec.New().Fit(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := fd.Forecast(ctx, dup, len(test))
	b, _ := fp.Forecast(ctx, plain, len(test))
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("forecast[%d] = %v, without covariates %v", i, a[i], b[i])
		}
	}
}

// TestARIMALoadsPreCovariateState loads arima and auto_arima states saved
// by the code before ARIMA used covariates
// (arima/testdata/pre_xreg_models.json, fitted on store1_item1 of the
// golden file at commit 22c4fc5) and checks that they forecast exactly
// the forecasts that code made, with and without covariates in the
// input: a state without covariates ignores them.
func TestARIMALoadsPreCovariateState(t *testing.T) {
	var saved struct {
		Series string `json:"series"`
		Season int    `json:"season"`
		H      int    `json:"h"`
		Models []struct {
			Name     string          `json:"name"`
			State    json.RawMessage `json:"state"`
			Forecast []float64       `json:"forecast"`
		} `json:"models"`
	}
	readGolden(t, "arima/testdata/pre_xreg_models.json", "forecastd at commit 22c4fc5, as above", &saved)
	if len(saved.Models) != 2 {
		t.Fatalf("%d saved models, want 2", len(saved.Models))
	}
	y, _, _ := arimaGoldenSeries(t, saved.Series)
	promo := make([]float64, len(y)+saved.H)
	for i := range promo {
		promo[i] = float64(i % 3 % 2)
	}
	ctx := context.Background()
	for _, s := range saved.Models {
		spec, ok := Standard().Lookup(s.Name)
		if !ok {
			t.Fatalf("no spec %q", s.Name)
		}
		fit, err := spec.Load(s.State)
		if err != nil {
			t.Fatal(err)
		}
		for _, cov := range []map[string][]float64{nil, {"promo": promo}} {
			in := Input{Y: y, Start: time.Date(2016, 12, 4, 0, 0, 0, 0, time.UTC), Freq: data.Daily, Season: saved.Season, Covariates: cov}
			fc, err := fit.Forecast(ctx, in, saved.H)
			if err != nil {
				t.Fatal(err)
			}
			for i := range fc {
				if fc[i] != s.Forecast[i] {
					t.Fatalf("%s: forecast[%d] = %v, saved code forecast %v", s.Name, i, fc[i], s.Forecast[i])
				}
			}
		}
	}
}
