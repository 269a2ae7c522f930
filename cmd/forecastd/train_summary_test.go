package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
)

// TestTrainExitStatus: the summary counts the outcomes by class, a flat
// fallback exits 1 unless -allow-fallback, the forecasts are written
// either way, and each series that is not a full tournament gets a
// warning with its reason.
func TestTrainExitStatus(t *testing.T) {
	cases := []struct {
		name    string
		days    int
		extra   []string
		code    int
		summary string
		warning string
	}{
		// 12 days cannot backtest horizon 14 at all.
		{"fallback", 12, nil, exitFailure, "summary: 2 series: 0 full, 0 reduced, 2 fallback, 0 failed", "fallback: history of 12 points"},
		{"fallback allowed", 12, []string{"-allow-fallback"}, 0, "summary: 2 series: 0 full, 0 reduced, 2 fallback", "fallback: history of 12 points"},
		// 20 days: one fold validating 6 of the 14 steps.
		{"reduced", 20, nil, 0, "summary: 2 series: 0 full, 2 reduced, 0 fallback, 0 failed", "reduced: no fold can validate the horizon of 14"},
		{"full", 60, nil, 0, "summary: 2 series: 2 full, 0 reduced, 0 fallback, 0 failed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeDemo(t, demo.Options{Stores: 1, SKUs: 2, Days: c.days})
			out := filepath.Join(t.TempDir(), "fc.csv")
			var stdout, stderr bytes.Buffer
			args := append([]string{"train", "-data", in, "-horizon", "14", "-windows", "2", "-models", "naive,seasonal_naive", "-out", out}, c.extra...)
			code := run(context.Background(), args, &stdout, &stderr)
			msg := stderr.String()
			if code != c.code || !strings.Contains(msg, c.summary) {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, msg)
			}
			if n := strings.Count(msg, "warning: series "); (c.warning == "") != (n == 0) || c.warning != "" && (n != 2 || !strings.Contains(msg, c.warning)) {
				t.Errorf("%d warnings, want %q:\n%s", n, c.warning, msg)
			}
			if code != 0 && !strings.Contains(msg, "-allow-fallback") {
				t.Errorf("the error does not say how to accept fallbacks:\n%s", msg)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if rows := strings.Count(string(b), "\n"); rows != 1+2*14 {
				t.Errorf("forecast file has %d lines", rows)
			}
		})
	}
}
