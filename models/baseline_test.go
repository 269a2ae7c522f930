package models

import (
	"context"
	"errors"
	"math"
	"testing"
)

// TestBaselineMatchesR compares mean and drift with R's meanf and
// rwf(drift=TRUE) on the golden series (models/ets/testdata/make_golden.R,
// forecast 8.20). Tolerance 1e-9 relative.
func TestBaselineMatchesR(t *testing.T) {
	ctx := context.Background()
	for _, s := range loadETSGolden(t) {
		for _, c := range []struct {
			name  string
			model Forecaster
			want  []float64
		}{
			{"mean", HistoricMean{}, s.Meanf},
			{"drift", Drift{}, s.RWFDrift},
		} {
			t.Run(s.Name+"/"+c.name, func(t *testing.T) {
				in := Input{Y: s.Y, Season: s.M}
				fd, err := c.model.Fit(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := fd.Forecast(ctx, in, len(c.want))
				if err != nil {
					t.Fatal(err)
				}
				for i, w := range c.want {
					if math.Abs(got[i]-w) > 1e-9*math.Abs(w) {
						t.Errorf("step %d: %.12g, R %.12g", i+1, got[i], w)
					}
				}
			})
		}
	}
}

// TestBaselineWindows checks the window averages on a series whose
// averages are worked out by hand in the comments.
func TestBaselineWindows(t *testing.T) {
	ctx := context.Background()
	// y = 1..12, season 3.
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	cases := []struct {
		name  string
		model Forecaster
		h     int
		want  []float64
	}{
		// mean(9, 10, 11, 12) = 10.5
		{"window 4", WindowAverage{Window: 4}, 3, []float64{10.5, 10.5, 10.5}},
		// mean(1..12) = 6.5
		{"window 12", WindowAverage{Window: 12}, 2, []float64{6.5, 6.5}},
		// Positions of the next season: (7+10)/2, (8+11)/2, (9+12)/2.
		{"2 seasons of 3", SeasonalWindowAverage{Seasons: 2}, 5, []float64{8.5, 9.5, 10.5, 8.5, 9.5}},
		// (1+4+7+10)/4 = 5.5, then 6.5, 7.5.
		{"default 4 seasons", SeasonalWindowAverage{}, 3, []float64{5.5, 6.5, 7.5}},
		// Season override 4: (5+9)/2, (6+10)/2, (7+11)/2, (8+12)/2.
		{"season override", SeasonalWindowAverage{Seasons: 2, Season: 4}, 4, []float64{7, 8, 9, 10}},
		// 12 + h * (12-1)/11.
		{"drift", Drift{}, 3, []float64{13, 14, 15}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Input{Y: y, Season: 3}
			fd, err := c.model.Fit(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fd.Forecast(ctx, in, c.h)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.want {
				if math.Abs(got[i]-c.want[i]) > 1e-12 {
					t.Errorf("step %d: %v, want %v", i+1, got[i], c.want[i])
				}
			}
		})
	}
}

// TestBaselineRoundTripAndRefresh: every baseline survives encoding/json,
// forecasts identically after loading, and a longer history refreshes.
func TestBaselineRoundTripAndRefresh(t *testing.T) {
	ctx := context.Background()
	reg := Standard()
	y := make([]float64, 200)
	for i := range y {
		y[i] = 10 + float64(i%7) + 0.05*float64(i)
	}
	for _, name := range []string{"naive", "seasonal_naive", "mean", "window_average", "seasonal_window_average", "drift"} {
		t.Run(name, func(t *testing.T) {
			spec, ok := reg.Lookup(name)
			if !ok {
				t.Fatalf("%s not registered", name)
			}
			short, long := Input{Y: y[:150], Season: 7}, Input{Y: y, Season: 7}
			fd, err := spec.New().Fit(ctx, short)
			if err != nil {
				t.Fatal(err)
			}
			back, _ := reload(t, spec, fd)
			var first []float64
			for _, in := range []Input{short, long} {
				a := mustForecast(t, fd, in, 14)
				assertSameForecast(t, "after round trip", mustForecast(t, back, in, 14), a)
				if first == nil {
					first = a
				} else if first[0] == a[0] {
					t.Error("a longer history did not change the forecast")
				}
			}
		})
	}
}

func TestBaselineErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		model Forecaster
		y     []float64
		want  error
	}{
		{"mean empty", HistoricMean{}, nil, ErrTooShort},
		{"drift one point", Drift{}, []float64{1}, ErrTooShort},
		{"window short", WindowAverage{}, make([]float64, 27), ErrTooShort},
		{"seasonal window short", SeasonalWindowAverage{}, make([]float64, 27), ErrTooShort},
		{"mean NaN", HistoricMean{}, []float64{1, math.NaN()}, ErrUnsuitable},
		{"drift Inf", Drift{}, []float64{1, math.Inf(1)}, ErrUnsuitable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.model.Fit(ctx, Input{Y: c.y, Season: 7})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// The check is a four-way sum: a bad value in any lane or in the
	// tail is caught, +Inf and -Inf together (a NaN sum) too, and huge
	// finite values whose sum overflows are not called non-finite.
	for n := 1; n <= 11; n++ {
		for at := 0; at < n; at++ {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				y := make([]float64, n)
				for i := range y {
					y[i] = float64(i)
				}
				y[at] = bad
				if err := baselineFinite("t", y); !errors.Is(err, ErrUnsuitable) {
					t.Fatalf("n %d, %v at %d: err = %v", n, bad, at, err)
				}
			}
		}
	}
	if err := baselineFinite("t", []float64{math.Inf(1), 0, 0, 0, math.Inf(-1)}); !errors.Is(err, ErrUnsuitable) {
		t.Fatalf("+Inf and -Inf: err = %v", err)
	}
	if err := baselineFinite("t", []float64{math.MaxFloat64, math.MaxFloat64, 1}); err != nil {
		t.Fatalf("overflowing finite sum: err = %v", err)
	}
}
