package main

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestRunEveryModel runs the harness once per call (no repetition) so
// that a renamed model, a changed family or a series a model rejects
// breaks `go test` rather than `make bench`.
func TestRunEveryModel(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "../..", nil, 0, 1, 28); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r record
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		counts[r.Model]++
		if len(r.Forecast) != 28 {
			t.Errorf("%s on %s: %d forecasts, want 28", r.Model, r.Series, len(r.Forecast))
		}
		for _, v := range r.Forecast {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s on %s: forecast %v", r.Model, r.Series, v)
				break
			}
		}
	}
	// peer.R and peer.py time these models; the intermittent ones also
	// run on the sparse series.
	want := map[string]int{
		"naive": 2, "seasonal_naive": 2, "mean": 2, "window_average": 2, "seasonal_window_average": 2,
		"drift": 2, "naive2": 2, "ses": 2, "theta": 2, "optimized_theta": 2,
		"croston": 3, "croston_sba": 3, "tsb": 3, "adida": 3, "imapa": 3,
	}
	for m, n := range want {
		if counts[m] != n {
			t.Errorf("%s: %d records, want %d", m, counts[m], n)
		}
	}
	for m := range counts {
		if _, ok := want[m]; !ok {
			t.Errorf("%s is timed but has no peer: add one to peer.R or peer.py, and here", m)
		}
	}
}
