package models

import (
	"context"
	"strconv"
	"testing"
)

// m4HourlyDir is the shared M4 hourly data (see /work/shared/data/README.md).
const m4HourlyDir = "../../shared/data/m4_hourly/"

// m4ReadWide reads an M4 wide CSV (header row, id column, values padded
// with empty cells) into series by row order.
func m4ReadWide(t testing.TB, path string) (ids []string, series [][]float64) {
	t.Helper()
	rows := readCSV(t, path, "M4 data (this test needs the shared data set)", -1)
	for _, row := range rows[1:] {
		var y []float64
		for _, c := range row[1:] {
			if c == "" {
				break
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatalf("%s: %v", row[0], err)
			}
			y = append(y, v)
		}
		ids = append(ids, row[0])
		series = append(series, y)
	}
	return ids, series
}

// TestM4HourlyReproduction checks the Go benchmarks against the official
// M4 hourly results. Expected figures: the official "Evaluation and
// Ranks.xlsx" (sheet "Point Forecasts-Frequency", copied in
// /work/shared/data/README.md), produced by the official R benchmarks with
// forecast's ses(). Tolerance: 0.5% relative on the mean sMAPE and MASE
// over the 414 series and on the OWA (the optimiser inside R's ses() stops at a tolerance,
// so individual optimised forecasts differ slightly).
func TestM4HourlyReproduction(t *testing.T) {
	ids, train := m4ReadWide(t, m4HourlyDir+"Hourly-train.csv")
	tids, test := m4ReadWide(t, m4HourlyDir+"Hourly-test.csv")
	if len(train) != 414 || len(test) != 414 {
		t.Fatalf("want 414 series, have %d train and %d test", len(train), len(test))
	}
	const h, m = 48, 24
	// naive2 comes first: the OWA of the others is relative to it.
	cases := []struct {
		name             string
		model            Forecaster
		smape, mase, owa float64
	}{
		{"naive2", Naive2{}, 18.383, 2.395, 1.000},
		{"naive", Naive{}, 43.003, 11.608, 3.593},
		{"seasonal_naive", SeasonalNaive{}, 13.912, 1.193, 0.627},
		{"ses", SES{}, 18.094, 2.385, 0.990},
		{"theta", Theta{}, 18.138, 2.455, 1.006},
	}
	var n2s, n2m float64
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sumS, sumM float64
			for i, y := range train {
				if ids[i] != tids[i] || len(test[i]) != h {
					t.Fatalf("series %d: train %s test %s with %d points", i, ids[i], tids[i], len(test[i]))
				}
				in := Input{Y: y, Season: m}
				fit, err := c.model.Fit(ctx, in)
				if err != nil {
					t.Fatalf("%s: %v", ids[i], err)
				}
				f, err := fit.Forecast(ctx, in, h)
				if err != nil {
					t.Fatalf("%s: %v", ids[i], err)
				}
				sumS += SMAPE(test[i], f)
				ms, err := MASE(y, test[i], f, m)
				if err != nil {
					t.Fatalf("%s: %v", ids[i], err)
				}
				sumM += ms
			}
			s, ms := sumS/float64(len(train)), sumM/float64(len(train))
			if c.name == "naive2" {
				n2s, n2m = s, ms
			}
			if n2s == 0 {
				t.Fatal("naive2 must run first")
			}
			owa := OWA(s, ms, n2s, n2m)
			t.Logf("%s: sMAPE %.3f (official %.3f), MASE %.3f (official %.3f), OWA %.3f (official %.3f)",
				c.name, s, c.smape, ms, c.mase, owa, c.owa)
			const rel = 0.005
			if d := s/c.smape - 1; d > rel || d < -rel {
				t.Errorf("sMAPE %.4f, official %.3f: off by %.2f%%", s, c.smape, 100*d)
			}
			if d := ms/c.mase - 1; d > rel || d < -rel {
				t.Errorf("MASE %.4f, official %.3f: off by %.2f%%", ms, c.mase, 100*d)
			}
			if d := owa/c.owa - 1; d > rel || d < -rel {
				t.Errorf("OWA %.4f, official %.3f: off by %.2f%%", owa, c.owa, 100*d)
			}
		})
	}
}
