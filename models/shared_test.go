package models

import (
	"context"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/internal/cputime"
)

// regressionDefaults are the default candidates that share their
// training rows through Input.Shared.
func regressionDefaults(t testing.TB) []Spec {
	t.Helper()
	var out []Spec
	for _, sp := range Standard().Defaults() {
		if _, ok := sp.New().(interface{ regressionRows() }); ok {
			out = append(out, sp)
		}
	}
	if len(out) < 4 {
		t.Fatalf("%d default regression candidates", len(out))
	}
	return out
}

// TestSharedRegressionRowsIdentical: every default regression candidate
// fitted on one history through a Shared cache (the second and later
// reading the rows the first built) forecasts bit for bit what it does
// fitted alone, fold after fold, and the cache holds one matrix per
// training length, not one per candidate.
func TestSharedRegressionRowsIdentical(t *testing.T) {
	full := loadStoreItem(t, 1, 1)
	sh := NewShared()
	ctx := context.Background()
	for _, n := range []int{len(full.Y) - 56, len(full.Y) - 28} {
		in := full
		in.Y = full.Y[:n]
		cached := in
		cached.Shared = sh
		for _, sp := range regressionDefaults(t) {
			alone, err := sp.New().Fit(ctx, in)
			if err != nil {
				t.Fatalf("%s: %v", sp.Name, err)
			}
			viaCache, err := sp.New().Fit(ctx, cached)
			if err != nil {
				t.Fatalf("%s: %v", sp.Name, err)
			}
			want, got := mustForecast(t, alone, in, 28), mustForecast(t, viaCache, cached, 28)
			if !slices.Equal(got, want) {
				t.Errorf("%s on %d points: shared rows forecast %v, alone %v", sp.Name, n, got[:3], want[:3])
			}
		}
	}
	if len(sh.m) != 2 {
		t.Errorf("cache holds %d entries for 2 training lengths", len(sh.m))
	}
}

// BenchmarkSharedRegressionRows fits the default regression candidates
// on one fold of a store/item series, each building its own training
// rows (alone) or all reading the rows the first built (shared), as a
// tournament does:
//
//	go test -run '^$' -bench SharedRegressionRows -benchtime 10x ./models/
func BenchmarkSharedRegressionRows(b *testing.B) {
	full := loadStoreItem(b, 1, 1)
	specs := regressionDefaults(b)
	ctx := context.Background()
	for _, share := range []bool{false, true} {
		name := "alone"
		if share {
			name = "shared"
		}
		b.Run(name, func(b *testing.B) {
			defer cputime.PerOp(b, cputime.Process)()
			for i := 0; i < b.N; i++ {
				in := full
				if share {
					in.Shared = NewShared()
				}
				for _, sp := range specs {
					if _, err := sp.New().Fit(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
