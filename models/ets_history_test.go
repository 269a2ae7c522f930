package models

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// TestETSMaxHistory checks that fitting on a recent window equals fitting
// on that window directly, and that a refresh on a longer history keeps
// the seasonal phase (it runs from the date the initial state belongs to).
func TestETSMaxHistory(t *testing.T) {
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	y := make([]float64, 1000)
	for i := range y {
		y[i] = 50 + 10*math.Sin(2*math.Pi*float64(i)/7) + float64(i%13)
	}
	in := Input{Y: y[:900], Start: start, Freq: data.Daily, Season: 7}
	ctx := context.Background()
	capped, err := ETS{Model: "AAA", MaxHistory: 300}.Fit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	tail := Input{Y: y[600:900], Start: start.AddDate(0, 0, 600), Freq: data.Daily, Season: 7}
	direct, err := ETS{Model: "AAA"}.Fit(ctx, tail)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := capped.Forecast(ctx, in, 14)
	b, _ := direct.Forecast(ctx, tail, 14)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			t.Fatalf("step %d: capped %v, direct %v", i, a[i], b[i])
		}
	}
	// Refresh: 100 more days; the same as running the direct fit over
	// y[600:1000].
	longer := Input{Y: y, Start: start, Freq: data.Daily, Season: 7}
	r1, err := capped.Forecast(ctx, longer, 7)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := direct.Forecast(ctx, Input{Y: y[600:], Start: tail.Start, Freq: data.Daily, Season: 7}, 7)
	for i := range r1 {
		if math.Abs(r1[i]-r2[i]) > 1e-9 {
			t.Fatalf("refresh step %d: %v vs %v", i, r1[i], r2[i])
		}
	}
	// An input without a calendar (as a caller with bare values gives)
	// finds its window by position: the same forecasts.
	bare, err := ETS{Model: "AAA", MaxHistory: 300}.Fit(ctx, Input{Y: y[:900], Season: 7})
	if err != nil {
		t.Fatal(err)
	}
	c, err := bare.Forecast(ctx, Input{Y: y[:900], Season: 7}, 14)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c {
		if math.Abs(c[i]-b[i]) > 1e-9 {
			t.Fatalf("no calendar, step %d: capped %v, direct %v", i, c[i], b[i])
		}
	}
	// A history that starts after the fitted window cannot be used.
	if _, err := capped.Forecast(ctx, Input{Y: y[700:], Start: start.AddDate(0, 0, 700), Freq: data.Daily, Season: 7}, 7); err == nil {
		t.Fatal("forecast from a history missing the fitted start succeeded")
	}
}
