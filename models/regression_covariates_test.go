package models

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
)

// TestRegressionStateBeforeCovariates loads a ridge state saved before the
// regression candidates used covariates and checks it forecasts exactly
// what it did then, covariates in the input or not: kept models of earlier
// jobs must keep refreshing. testdata/regression_ridge_before_covariates.json
// was written by forecastd at commit 48a8d0e (ridge fitted on store 1
// item 1 of ml/testdata/store_item_excerpt.csv, the 400 days from 28+400
// days before its end, then a 28-day forecast), as the JSON the tournament
// stores for a kept model.
func TestRegressionStateBeforeCovariates(t *testing.T) {
	var golden struct {
		Start    string          `json:"start"`
		Points   int             `json:"points"`
		State    json.RawMessage `json:"state"`
		Forecast []float64       `json:"forecast"`
	}
	readGolden(t, "testdata/regression_ridge_before_covariates.json", "forecastd at commit 48a8d0e, as above", &golden)
	full := loadStoreItem(t, 1, 1)
	from := len(full.Y) - 428
	in := full
	in.Start, in.Y = full.Date(from), full.Y[from:from+golden.Points]
	if got := in.Start.Format("2006-01-02"); got != golden.Start {
		t.Fatalf("input starts %s, golden %s", got, golden.Start)
	}
	spec, _ := Standard().Lookup("ridge")
	f, err := spec.Load(golden.State)
	if err != nil {
		t.Fatal(err)
	}
	promo := make([]float64, len(in.Y)+28)
	for i := range promo {
		promo[i] = float64(i % 2)
	}
	for _, cov := range []map[string][]float64{nil, {"promo": promo}} {
		in.Covariates = cov
		fc, err := f.Forecast(context.Background(), in, 28)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range golden.Forecast {
			// The same arithmetic as then: equal to rounding.
			if math.Abs(fc[i]-want) > 1e-12*math.Abs(want) {
				t.Fatalf("covariates %v: forecast[%d] = %v, saved state forecast %v", slices.Sorted(maps.Keys(cov)), i, fc[i], want)
			}
		}
	}
}

// promoInput is 400 days of store 1 item 1 with covariates over the
// history and 28 days past it: promo (a flag on about one day in eight
// that doubles the day's sales), price (varying), and two that teach
// nothing, flat (constant) and gone (never observed).
func promoInput(t *testing.T) Input {
	t.Helper()
	full := loadStoreItem(t, 1, 1)
	const n, h = 400, 28
	from := len(full.Y) - n - h
	in := full
	in.Start = full.Date(from)
	in.Y = slices.Clone(full.Y[from : from+n])
	rng := rand.New(rand.NewPCG(3, 4))
	promo, price, flat, gone := make([]float64, n+h), make([]float64, n+h), make([]float64, n+h), make([]float64, n+h)
	for i := range promo {
		if rng.Float64() < 0.125 {
			promo[i] = 1
		}
		price[i] = 2 + 0.5*math.Sin(float64(i)/9)
		flat[i], gone[i] = 1, math.NaN()
		if i < n {
			in.Y[i] *= 1 + promo[i]
		}
	}
	in.Covariates = map[string][]float64{"promo": promo, "price": price, "flat": flat, "gone": gone}
	return in
}

// TestRegressionCovariates: with the default feature set the regressors
// use the covariates that vary in training, sorted by name; the state
// records them and survives a JSON round trip; a planned value missing at
// a forecast step is the covariate's training mean.
func TestRegressionCovariates(t *testing.T) {
	ctx := context.Background()
	in := promoInput(t)
	n := len(in.Y)
	for _, name := range []string{"ridge", "hgbt"} {
		t.Run(name, func(t *testing.T) {
			spec, _ := Standard().Lookup(name)
			f, err := spec.New().Fit(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			state, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			var saved struct {
				Features struct{ Covariates []string } `json:"features"`
			}
			if err := json.Unmarshal(state, &saved); err != nil {
				t.Fatal(err)
			}
			if got := saved.Features.Covariates; !slices.Equal(got, []string{"price", "promo"}) {
				t.Fatalf("state records covariates %v, want [price promo]", got)
			}
			fc, err := f.Forecast(ctx, in, 28)
			if err != nil {
				t.Fatal(err)
			}
			back, err := spec.Load(state)
			if err != nil {
				t.Fatal(err)
			}
			fc2, err := back.Forecast(ctx, in, 28)
			if err != nil || !slices.Equal(fc, fc2) {
				t.Fatalf("after a JSON round trip: %v, %v; want %v", fc2, err, fc)
			}

			// The plan ends after 5 steps (and the flat and gone columns
			// are not read at all): steps from 5 on are forecast as
			// with promo at its training mean, over the training targets
			// [28, n) as the imputer computes it.
			var sum float64
			for _, v := range in.Covariates["promo"][28:n] {
				sum += v
			}
			mean := sum / float64(n-28)
			short, atMean := in, in
			short.Covariates = map[string][]float64{"promo": in.Covariates["promo"][:n+5], "price": in.Covariates["price"]}
			filled := slices.Clone(in.Covariates["promo"])
			for i := n + 5; i < len(filled); i++ {
				filled[i] = mean
			}
			atMean.Covariates = map[string][]float64{"promo": filled, "price": in.Covariates["price"]}
			fs, err := f.Forecast(ctx, short, 28)
			if err != nil {
				t.Fatal(err)
			}
			fm, err := f.Forecast(ctx, atMean, 28)
			if err != nil {
				t.Fatal(err)
			}
			for i := range fs {
				if math.IsNaN(fs[i]) || math.Abs(fs[i]-fm[i]) > 1e-9*math.Abs(fm[i]) {
					t.Fatalf("step %d with the plan ended: %v, with promo at its mean %v", i+1, fs[i], fm[i])
				}
				if i < 5 && fs[i] != fc[i] {
					t.Fatalf("step %d is within the plan: %v, want %v", i+1, fs[i], fc[i])
				}
			}
		})
	}
}

// TestRegressionPromoAccuracy is the measurement behind using planned
// covariates: on demo series whose promotions multiply sales by 2.5, the
// regressions fitted with the promo flag (the holdout's flags standing in
// for the plan) must forecast the held-out promo days much better than the
// same models without it, and the other days no worse. Each model is
// fitted on 730 days of 24 series and forecasts the next 28; the errors
// are pooled over the series. The thresholds are margins around the
// measured figures (logged; go test -run PromoAccuracy -v ./models/), set
// so that a regression that ignored the flag fails them.
func TestRegressionPromoAccuracy(t *testing.T) {
	ctx := context.Background()
	const h = 28
	obs := demo.Sales(demo.Options{Seed: 11, Stores: 1, SKUs: 24, Days: 730 + h, PromoLift: 1.5})
	series, err := ingest.Assemble(obs, data.Daily)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ridge", "hgbt"} {
		spec, _ := Standard().Lookup(name)
		// Absolute errors summed over promo days and the other days,
		// with and without the covariate.
		var promoWith, promoWithout, otherWith, otherWithout float64
		promoDays, otherDays := 0, 0
		for _, s := range series {
			n := len(s.Values) - h
			in := Input{Y: s.Values[:n], Start: s.Start, Freq: s.Freq, Season: 7}
			fcs := make([][]float64, 2)
			for k, cov := range []map[string][]float64{nil, s.Covariates} {
				in.Covariates = cov
				f, err := spec.New().Fit(ctx, in)
				if err != nil {
					t.Fatalf("%s on %s: %v", name, s.Key, err)
				}
				if fcs[k], err = f.Forecast(ctx, in, h); err != nil {
					t.Fatalf("%s on %s: %v", name, s.Key, err)
				}
			}
			for i := 0; i < h; i++ {
				actual := s.Values[n+i]
				without, with := math.Abs(fcs[0][i]-actual), math.Abs(fcs[1][i]-actual)
				if s.Covariates["promo"][n+i] == 1 {
					promoWith, promoWithout, promoDays = promoWith+with, promoWithout+without, promoDays+1
				} else {
					otherWith, otherWithout, otherDays = otherWith+with, otherWithout+without, otherDays+1
				}
			}
		}
		pw, pwo := promoWith/float64(promoDays), promoWithout/float64(promoDays)
		ow, owo := otherWith/float64(otherDays), otherWithout/float64(otherDays)
		t.Logf("%-5s MAE on %d promo days: %.2f with the promo covariate, %.2f without (%.0f%% lower); on the %d other days %.2f vs %.2f",
			name, promoDays, pw, pwo, 100*(1-pw/pwo), otherDays, ow, owo)
		if promoDays < 20 {
			t.Fatalf("only %d promo days held out: the comparison means little", promoDays)
		}
		if pw > 0.6*pwo {
			t.Errorf("%s: promo-day MAE %.2f with the covariate, %.2f without: want at most 60%%", name, pw, pwo)
		}
		if ow > 1.05*owo {
			t.Errorf("%s: other days' MAE %.2f with the covariate, %.2f without: want no worse than 5%% more", name, ow, owo)
		}
	}
}
