package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// thetaDailySeries is a seeded synthetic daily sales series: a slowly
// rising level, a weekly pattern, Poisson-like noise and some zero days, so
// every SES/Theta/intermittent model accepts it.
func thetaDailySeries(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	week := []float64{0.8, 0.9, 0.95, 1.0, 1.1, 1.4, 0.85}
	y := make([]float64, n)
	for t := range y {
		mu := (20 + 0.01*float64(t)) * week[t%7]
		v := math.Round(mu + math.Sqrt(mu)*rng.NormFloat64())
		if v < 0 || rng.Float64() < 0.05 {
			v = 0
		}
		y[t] = v
	}
	return y
}

// thetaOwnSpecs are the specs registered by this file family.
func thetaOwnSpecs() []Spec { return append(thetaSpecs(), intermittentSpecs()...) }

// TestThetaContract checks the model contract for every SES, Theta and
// intermittent spec: registration, JSON round trip with identical
// forecasts, refresh on a longer history, and error cases.
func TestThetaContract(t *testing.T) {
	ctx := context.Background()
	y := thetaDailySeries(420, 7)
	short := Input{Y: y[:365], Season: 7}
	long := Input{Y: y, Season: 7}
	std := Standard()
	for _, s := range thetaOwnSpecs() {
		t.Run(s.Name, func(t *testing.T) {
			if got, ok := std.Lookup(s.Name); !ok || got.Family != s.Family {
				t.Fatalf("not registered in Standard()")
			}
			fit, err := s.New().Fit(ctx, short)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fit.Forecast(ctx, short, 28)
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range want {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("forecast %d = %v", j, v)
				}
			}
			loaded, b := reload(t, s, fit)
			assertSameForecast(t, "after JSON round trip "+string(b), mustForecast(t, loaded, short, 28), want)
			b2, _ := json.Marshal(loaded)
			if !bytes.Equal(b, b2) {
				t.Errorf("JSON not stable: %s then %s", b, b2)
			}
			// Refresh: the same fit forecasts from a longer history, and
			// the forecast moves with the new data.
			refreshed, err := fit.Forecast(ctx, long, 28)
			if err != nil {
				t.Fatal(err)
			}
			if refreshed[0] == want[0] {
				t.Errorf("refresh on %d more points left the forecast at %v", len(long.Y)-len(short.Y), want[0])
			}
			if _, err := s.New().Fit(ctx, Input{Season: 7}); !errors.Is(err, ErrTooShort) {
				t.Errorf("empty history: %v, want ErrTooShort", err)
			}
			bad := append([]float64{}, short.Y...)
			bad[10] = math.NaN()
			if _, err := s.New().Fit(ctx, Input{Y: bad, Season: 7}); !errors.Is(err, ErrUnsuitable) {
				t.Errorf("NaN in history: %v, want ErrUnsuitable", err)
			}
		})
	}
}

// TestThetaCancel checks that the optimising fits stop on a cancelled
// context. (Croston, TSB and Naive2 estimate nothing: one O(n) pass.)
func TestThetaCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := Input{Y: thetaDailySeries(200, 3), Season: 7}
	for _, m := range []Forecaster{SES{}, Theta{}, OptimizedTheta{}, ADIDA{}, IMAPA{}} {
		if _, err := m.Fit(ctx, in); !errors.Is(err, context.Canceled) {
			t.Errorf("%T: %v, want context.Canceled", m, err)
		}
	}
}

// TestSESRefresh checks the refresh arithmetic: forecasting from a longer
// history equals continuing the level recursion from the shorter one.
func TestSESRefresh(t *testing.T) {
	ctx := context.Background()
	y := thetaDailySeries(300, 11)
	fit, err := SES{Adjust: AdjustNone}.Fit(ctx, Input{Y: y[:250]})
	if err != nil {
		t.Fatal(err)
	}
	f := fit.(*sesFit)
	l := sesLevel(y[:250], f.Alpha, f.Level0)
	l = sesLevel(y[250:], f.Alpha, l)
	got, _ := fit.Forecast(ctx, Input{Y: y}, 1)
	if math.Abs(got[0]-l) > 1e-12*math.Abs(l) {
		t.Errorf("refreshed level %v, want %v", got[0], l)
	}
}

// TestSeasonalityTestCases checks the M4 seasonality test's guards.
func TestSeasonalityTestCases(t *testing.T) {
	y := thetaDailySeries(420, 5)
	cases := []struct {
		name string
		y    []float64
		m    int
		want bool
	}{
		{"weekly daily sales", y, 7, true},
		{"no season", y, 1, false},
		{"shorter than 3 seasons", y[:20], 7, false},
		{"constant", make([]float64, 100), 7, false},
		// floor(10·log10(200)) = 23 < 24: R's acf stops before lag 24.
		{"acf lag.max below m", thetaDailySeries(200, 5), 24, false},
	}
	for _, c := range cases {
		if got := SeasonalityTest(c.y, c.m); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
