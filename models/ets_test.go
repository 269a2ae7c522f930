package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The estimation itself is tested against R in package ets; these tests
// cover the adapter: the registry's ETS candidates, their errors, their
// serialised state.

// TestETSRoundTrip: a fitted model survives encoding/json and forecasts
// identically, including on a longer history (refresh).
func TestETSRoundTrip(t *testing.T) {
	s := loadETSGolden(t)[0]
	ctx := context.Background()
	reg := Standard()
	for _, name := range []string{"auto_ets", "holt", "damped_holt", "holt_winters_add", "holt_winters_mul"} {
		t.Run(name, func(t *testing.T) {
			spec, ok := reg.Lookup(name)
			if !ok {
				t.Fatalf("%s not registered", name)
			}
			short := Input{Y: s.Y[:120], Season: s.M}
			long := Input{Y: s.Y, Season: s.M}
			fd, err := spec.New().Fit(ctx, short)
			if err != nil {
				t.Fatal(err)
			}
			back, _ := reload(t, spec, fd)
			for _, in := range []Input{short, long} {
				assertSameForecast(t, fmt.Sprintf("len %d after round trip", len(in.Y)),
					mustForecast(t, back, in, 24), mustForecast(t, fd, in, 24))
			}
		})
	}
}

func TestETSErrors(t *testing.T) {
	ctx := context.Background()
	constant := make([]float64, 100)
	for i := range constant {
		constant[i] = 5
	}
	withZero := make([]float64, 100)
	for i := range withZero {
		withZero[i] = float64(1 + i%7)
	}
	withZero[50] = 0
	cases := []struct {
		name  string
		model ETS
		y     []float64
		m     int
		want  error
	}{
		{"too short", ETS{}, []float64{1, 2, 3}, 1, ErrTooShort},
		{"too short for AAA", ETS{Model: "AAA"}, withZero[:15], 7, ErrTooShort},
		{"constant", ETS{}, constant, 7, ErrUnsuitable},
		{"zero for MAM", ETS{Model: "MAM"}, withZero, 7, ErrUnsuitable},
		{"zero for MNN", ETS{Model: "MNN"}, withZero, 7, ErrUnsuitable},
		{"seasonal model on m=1", ETS{Model: "AAA"}, withZero, 1, ErrUnsuitable},
		{"season over 24", ETS{Model: "AAA"}, append(withZero, withZero...), 52, ErrUnsuitable},
		{"forbidden AAM", ETS{Model: "AAM"}, withZero, 7, ErrUnsuitable},
		{"NaN", ETS{}, []float64{1, 2, math.NaN(), 4, 5, 6, 7, 8, 9, 10, 11, 12}, 1, ErrUnsuitable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.model.Fit(ctx, Input{Y: c.y, Season: c.m})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// Zeros are fine for additive models, and auto_ets drops the
	// multiplicative ones.
	fd, err := ETS{}.Fit(ctx, Input{Y: withZero, Season: 7})
	if err != nil {
		t.Fatal(err)
	}
	if m := fd.(*etsFit).Model; m[0] != 'A' || m[len(m)-1] == 'M' {
		t.Errorf("auto_ets chose %s on data with a zero", m)
	}
	// Invalid specifications are errors too, not panics.
	for _, bad := range []ETS{{Model: "XYZ"}, {Model: "ANdN"}, {Criterion: "mae"}} {
		if _, err := bad.Fit(ctx, Input{Y: withZero, Season: 7}); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestETSAdditiveOnly: R's additive.only keeps the selection to the six
// additive forms; on AirPassengers (R picks MAdM) it must pick one of them
// with an AICc no better than the unrestricted choice.
func TestETSAdditiveOnly(t *testing.T) {
	s := loadETSGolden(t)[0]
	ctx := context.Background()
	in := Input{Y: s.Y, Season: s.M}
	all, err := ETS{}.Fit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	add, err := ETS{AdditiveOnly: true}.Fit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	a, b := all.(*etsFit), add.(*etsFit)
	if got := a.String(); !strings.HasPrefix(got, "ETS(M,Ad,M) alpha=") {
		t.Errorf("String() = %q", got)
	}
	if b.Model[0] != 'A' || b.Model[len(b.Model)-1] == 'M' {
		t.Errorf("additive-only chose %s", b.Model)
	}
	if b.AICc < a.AICc {
		t.Errorf("additive-only AICc %.3f below the unrestricted %.3f", b.AICc, a.AICc)
	}
	if _, err := (ETS{Model: "MAM", AdditiveOnly: true}).Fit(ctx, in); !errors.Is(err, ErrUnsuitable) {
		t.Errorf("MAM with AdditiveOnly: err = %v", err)
	}
}

// TestETSAwkwardSeries: every ETS candidate and baseline either forecasts
// finite numbers or returns ErrTooShort/ErrUnsuitable on awkward series
// (no panics, no NaN): intermittent demand, a negative value, huge and
// tiny magnitudes, a single spike, lengths at the thresholds.
func TestETSAwkwardSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(n int, f func(i int) float64) []float64 {
		y := make([]float64, n)
		for i := range y {
			y[i] = f(i)
		}
		return y
	}
	series := map[string][]float64{
		"intermittent": gen(200, func(int) float64 {
			if rng.Float64() < 0.8 {
				return 0
			}
			return float64(1 + rng.IntN(5))
		}),
		"negative":    gen(100, func(i int) float64 { return float64(i%7) - 2 + rng.NormFloat64() }),
		"huge":        gen(100, func(i int) float64 { return 1e12 * (10 + float64(i%7) + rng.Float64()) }),
		"tiny":        gen(100, func(i int) float64 { return 1e-12 * (10 + float64(i%7) + rng.Float64()) }),
		"spike":       gen(100, func(i int) float64 { return map[bool]float64{true: 1000, false: 5}[i == 50] }),
		"trend only":  gen(60, func(i int) float64 { return float64(i) }),
		"exp growth":  gen(100, func(i int) float64 { return math.Exp(0.1 * float64(i)) }),
		"14 points":   gen(14, func(i int) float64 { return float64(1 + i%7) }),
		"16 points":   gen(16, func(i int) float64 { return float64(1+i%7) + rng.Float64() }),
		"21 points":   gen(21, func(i int) float64 { return float64(1+i%7) + rng.Float64() }),
		"two values":  gen(50, func(i int) float64 { return float64(i % 2) }),
		"step change": gen(100, func(i int) float64 { return map[bool]float64{true: 100, false: 1}[i >= 80] }),
	}
	reg := Standard()
	names := []string{"auto_ets", "holt", "damped_holt", "holt_winters_add", "holt_winters_mul",
		"mean", "window_average", "seasonal_window_average", "drift"}
	ctx := context.Background()
	for sname, y := range series {
		for _, name := range names {
			spec, _ := reg.Lookup(name)
			in := Input{Y: y, Season: 7}
			fd, err := spec.New().Fit(ctx, in)
			if err != nil {
				if !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrUnsuitable) {
					t.Errorf("%s/%s: unexpected error %v", sname, name, err)
				}
				continue
			}
			fc, err := fd.Forecast(ctx, in, 14)
			if err != nil {
				if !errors.Is(err, ErrUnsuitable) {
					t.Errorf("%s/%s forecast: %v", sname, name, err)
				}
				continue
			}
			for i, v := range fc {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s/%s: step %d = %v", sname, name, i+1, v)
				}
			}
		}
	}
}
