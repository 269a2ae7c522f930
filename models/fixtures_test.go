package models

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"testing"
)

// This file holds what the candidates' tests share: reading golden files,
// and the JSON round trip every Fitted must survive.

// readGolden reads the JSON file at path into v. A missing or unreadable
// file fails the test, never skips it, and the message names the script
// that writes the file.
func readGolden(t testing.TB, path, script string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing (regenerate with %s): %v", script, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// readCSV reads every record of the CSV file at path; fields is
// csv.Reader.FieldsPerRecord (0: as many as the first record, -1: any).
// A missing file fails the test; what says which data it is.
func readCSV(t testing.TB, path, what string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%s missing: %v", what, err)
	}
	defer func() { _ = f.Close() }() // read-only
	r := csv.NewReader(f)
	r.FieldsPerRecord = fields
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// etsGoldenSeries is the part of ets/testdata/golden.json, written by
// ets/testdata/make_golden.R with R's forecast 8.20, that this package's
// tests read: the series and R's meanf and rwf(drift = TRUE) forecasts.
type etsGoldenSeries struct {
	Name     string    `json:"name"`
	M        int       `json:"m"`
	H        int       `json:"h"`
	Y        []float64 `json:"y"`
	RWFDrift []float64 `json:"rwf_drift"`
	Meanf    []float64 `json:"meanf"`
}

// loadETSGolden returns the series of package ets' golden file; the first
// is AirPassengers (monthly, positive, R's ets() picks MAdM).
func loadETSGolden(t testing.TB) []etsGoldenSeries {
	t.Helper()
	var g struct {
		Series []etsGoldenSeries `json:"series"`
	}
	readGolden(t, "ets/testdata/golden.json", "models/ets/testdata/make_golden.R", &g)
	if len(g.Series) == 0 {
		t.Fatal("ets golden file has no series")
	}
	return g.Series
}

// reload returns fit after a JSON round trip through spec.Load, and the
// JSON it went through.
func reload(t testing.TB, spec Spec, fit Fitted) (Fitted, []byte) {
	t.Helper()
	b, err := json.Marshal(fit)
	if err != nil {
		t.Fatal(err)
	}
	back, err := spec.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return back, b
}

// mustForecast returns fit's h-step forecast from in, failing the test on
// an error.
func mustForecast(t testing.TB, fit Fitted, in Input, h int) []float64 {
	t.Helper()
	fc, err := fit.Forecast(context.Background(), in, h)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// assertSameForecast fails unless got equals want bit for bit, as a
// reloaded or refitted model must forecast.
func assertSameForecast(t testing.TB, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d steps, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: step %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}
