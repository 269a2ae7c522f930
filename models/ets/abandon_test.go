package ets

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"strconv"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
)

// m5Windows is the estimation windows auto_ets sees in the tournament
// on n M5-shaped series (what `forecastd demo` writes): the last 730
// points before each of three 28-day folds, for series long enough.
func m5Windows(t *testing.T, n int) [][]float64 {
	t.Helper()
	var buf bytes.Buffer
	if _, err := demo.WriteM5(context.Background(), &buf, demo.M5Options{Stores: 1, SKUs: n}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	bySKU := map[string][]float64{}
	var order []string
	for _, r := range recs[1:] {
		if _, ok := bySKU[r[2]]; !ok {
			order = append(order, r[2])
		}
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		bySKU[r[2]] = append(bySKU[r[2]], v)
	}
	var out [][]float64
	for _, k := range order {
		y := bySKU[k]
		for fold := 1; fold <= 3; fold++ {
			if end := len(y) - 28*fold; end >= 730 {
				out = append(out, y[end-730:end])
			}
		}
	}
	return out
}

// m4Windows is the first n M4 hourly training series without their last
// 48 points (a backtest fold's history).
func m4Windows(t *testing.T, n int) [][]float64 {
	t.Helper()
	f, err := os.Open("../../../shared/data/m4_hourly/Hourly-train.csv")
	if err != nil {
		t.Fatalf("the M4 hourly data is not here: %v", err)
	}
	defer func() { _ = f.Close() }() // read-only
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for _, r := range recs[1 : n+1] {
		var y []float64
		for _, s := range r[1:] {
			if s == "" {
				break
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			y = append(y, v)
		}
		out = append(out, y[:len(y)-48])
	}
	return out
}

// TestAbandonKeepsSelection: giving up on hopeless forms (Settings.Abandon
// 10, auto_ets's setting) selects the same form with the same estimate
// as fitting every form to the end, as R does, on M5-shaped daily windows
// (intermittent, 6 additive forms, season 7) and M4 hourly series
// (positive, 15 forms, season 24), and it saves Nelder–Mead evaluations
// on the daily ones.
func TestAbandonKeepsSelection(t *testing.T) {
	ctx := context.Background()
	for _, set := range []struct {
		name    string
		ys      [][]float64
		m       int
		minSave float64
	}{
		{"m5", m5Windows(t, 12), 7, 0.25},
		{"m4", m4Windows(t, 3), 24, 0},
	} {
		t.Run(set.name, func(t *testing.T) {
			var full, fast int
			for i, y := range set.ys {
				ref, err := Fit(ctx, y, set.m, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Fit(ctx, y, set.m, &Settings{Abandon: 10})
				if err != nil {
					t.Fatal(err)
				}
				if got.Form != ref.Form || got.AICc != ref.AICc || got.Params != ref.Params {
					t.Errorf("series %d: abandoning selects %s (AICc %.4f), R's way %s (AICc %.4f)",
						i, got.Form, got.AICc, ref.Form, ref.AICc)
				}
				full += ref.TotalEvals
				fast += got.TotalEvals
			}
			save := 1 - float64(fast)/float64(full)
			t.Logf("%d windows: %d evaluations fitting every form, %d abandoning (%.0f%% fewer)", len(set.ys), full, fast, 100*save)
			if fast > full || save < set.minSave {
				t.Errorf("abandoning saved %.1f%% of the evaluations, want at least %.0f%%", 100*save, 100*set.minSave)
			}
		})
	}
}
