package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
)

// TestTrainReconcile: `forecastd train -reconcile` writes the series and
// their aggregates (total, stores, SKUs, and the dept of -attributes
// across stores and per store), each the sum of its series to the
// file's 4 decimals; a degraded reconciliation exits non-zero and says so.
func TestTrainReconcile(t *testing.T) {
	in := writeDemo(t, demo.Options{Stores: 2, SKUs: 3, Days: 150})
	attrs := filepath.Join(t.TempDir(), "attrs.csv")
	if err := os.WriteFile(attrs, []byte("store,sku,dept\nS01,SKU001,D1\nS01,SKU002,D1\nS01,SKU003,D2\nS02,SKU001,D1\nS02,SKU002,D1\nS02,SKU003,D2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fc.csv")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"train", "-data", in, "-horizon", "7", "-top-k", "2", "-models", "naive,seasonal_naive,ses",
		"-reconcile", "mint_shrink", "-attributes", attrs, "-out", out}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "reconcile: mint_shrink ran (reconciled)") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rows := readCSVFile(t, out)
	fc := map[string][]float64{}
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		fc[r[0]+"/"+r[1]] = append(fc[r[0]+"/"+r[1]], v)
	}
	// 6 series, total, 2 stores, 3 SKUs, 2 depts, 4 store x dept.
	if len(fc) != 6+1+2+3+2+4 {
		t.Fatalf("%d forecasts written, want 18: %v", len(fc), keysOf(fc))
	}
	for agg, members := range map[string][]string{
		"_total/_total":   {"S01/SKU001", "S01/SKU002", "S01/SKU003", "S02/SKU001", "S02/SKU002", "S02/SKU003"},
		"S02/_total":      {"S02/SKU001", "S02/SKU002", "S02/SKU003"},
		"_total/SKU003":   {"S01/SKU003", "S02/SKU003"},
		"_total/_dept=D1": {"S01/SKU001", "S01/SKU002", "S02/SKU001", "S02/SKU002"},
		"S01/_dept=D2":    {"S01/SKU003"},
	} {
		for step, v := range fc[agg] {
			var s float64
			for _, m := range members {
				s += fc[m][step]
			}
			if math.Abs(v-s) > 1e-4*float64(len(members)+1) {
				t.Fatalf("%s step %d = %g, its series sum to %g", agg, step, v, s)
			}
		}
	}
	// 10 days leave no backtest: mint_shrink has no errors to estimate a
	// covariance from, mint_wls runs, and the exit status says it.
	short := writeDemo(t, demo.Options{Stores: 1, SKUs: 2, Days: 10})
	stderr.Reset()
	code = run(context.Background(), []string{"train", "-data", short, "-horizon", "7", "-models", "naive,seasonal_naive",
		"-reconcile", "mint_shrink", "-allow-fallback", "-out", filepath.Join(t.TempDir(), "s.csv")}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "reconcile mint_shrink degraded") {
		t.Fatalf("degraded: exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"train", "-data", in, "-reconcile", "mint"}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "-reconcile") {
		t.Fatalf("bad method: exit %d: %s", code, stderr.String())
	}
}

func keysOf(m map[string][]float64) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}
