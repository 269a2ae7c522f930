package main

import (
	"bytes"
	"context"
	"fmt"
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

// TestTrainCovariateWarnings: a covariate of the sales file without a
// plan over the whole horizon is named, per series, with the steps it
// lacks, and counted in the summary; it changes no exit status, and a
// plan that covers the horizon silences it.
func TestTrainCovariateWarnings(t *testing.T) {
	o := demo.Options{Stores: 1, SKUs: 2, Days: 60, PlanDays: 10}
	in := writeDemo(t, o)
	var plan bytes.Buffer
	plan.WriteString("date,store,sku,promo\n")
	for _, ob := range demo.Plan(o) {
		fmt.Fprintf(&plan, "%s,%s,%s,%g\n", ob.Date.Format("2006-01-02"), ob.Key.Store, ob.Key.SKU, ob.Covariates["promo"])
	}
	planPath := filepath.Join(t.TempDir(), "plan.csv")
	if err := os.WriteFile(planPath, plan.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		extra   []string
		horizon string
		missing string // "" when no covariate is dropped
	}{
		{"no plan", nil, "14", "14 of 14"},
		{"plan for part of the horizon", []string{"-covariates", planPath}, "14", "4 of 14"},
		{"plan for the whole horizon", []string{"-covariates", planPath}, "7", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"train", "-data", in, "-horizon", c.horizon, "-windows", "2", "-models", "naive,seasonal_naive",
				"-out", filepath.Join(t.TempDir(), "fc.csv")}, c.extra...)
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			msg := stderr.String()
			n := strings.Count(msg, "warning: covariates dropped for ")
			if c.missing == "" {
				if n != 0 || strings.Contains(msg, "covariates dropped (no plan") {
					t.Errorf("covariate warnings with a full plan:\n%s", msg)
				}
				return
			}
			want := "warning: covariates dropped for S01/SKU001: promo: no plan for " + c.missing + " steps"
			if n != 2 || !strings.Contains(msg, want) || !strings.Contains(msg, "; 2 with covariates dropped (no plan over the horizon)") {
				t.Errorf("want 2 warnings like %q and the count:\n%s", want, msg)
			}
		})
	}
}
