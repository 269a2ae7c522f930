package memguard_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

const testPkg = "github.com/forecastd/forecastd/memguard_test."

// stackHas reports whether a stack has a frame of function fn (closures
// of fn included).
func stackHas(st []memguard.Frame, fn string) bool {
	return slices.ContainsFunc(st, func(f memguard.Frame) bool {
		return f.Function == fn || strings.HasPrefix(f.Function, fn+".")
	})
}

// attributed reports whether the report names fn: as the function of a
// top growth site or in its stack, or in the stack of a leaked goroutine.
func attributed(rep *memguard.Report, fn string, heap bool) (string, bool) {
	if heap {
		for _, s := range rep.TopGrowth {
			if stackHas(s.Stack, fn) {
				return fmt.Sprintf("heap site %s (%s:%d) +%d B", s.Function, s.File, s.Line, s.Bytes), true
			}
		}
		return "", false
	}
	for _, g := range rep.LeakedGoroutines {
		if stackHas(g.Stack, fn) {
			return fmt.Sprintf("goroutine %s [%s] ×%d labels %v", g.Function, g.State, g.Count, g.Labels), true
		}
	}
	return "", false
}

// TestLeakMatrix injects each leak, runs it under a Guard with default
// verdict settings until the verdict is leak, and checks that the leak is
// attributed to the injected function. The detection latency in runs is
// logged (go test -v -run TestLeakMatrix) and quoted in README.md.
func TestLeakMatrix(t *testing.T) {
	const maxRuns = 12
	cases := []struct {
		name string
		fn   func(context.Context) error
		// culprit is the function that must be named.
		culprit string
		// heap: attribution by heap site (else by leaked goroutine).
		heap bool
		// rate is Options.MemProfileRate: the ticker's few hundred bytes
		// need fine sampling to show in the heap diff.
		rate int
		// allocator, if set, must appear as a heap site allocated under
		// the culprit in one of the case's reports.
		allocator string
	}{
		{name: "package slice append", fn: leakAppendSlice, culprit: testPkg + "leakAppendSlice", heap: true, rate: 4096},
		{name: "map cache never evicted", fn: leakMapCache, culprit: testPkg + "leakMapCache", heap: true, rate: 4096},
		{name: "goroutine blocked forever", fn: leakBlockedGoroutine, culprit: testPkg + "leakBlockedGoroutine"},
		{name: "ticker never stopped", fn: leakTicker, culprit: testPkg + "leakTicker", rate: 64, allocator: "time.NewTicker"},
		{name: "sub-slice keeps backing array", fn: leakSubSlice, culprit: testPkg + "leakSubSlice", heap: true, rate: 4096},
		{name: "rolling-min parks buffers", fn: leakRollingMin, culprit: testPkg + "rollingMin", heap: true, rate: 4096},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resetLeaks()
			t.Cleanup(resetLeaks)
			g, err := memguard.New(memguard.Options{
				MemProfileRate: tc.rate,
				GoroutineGrace: 20 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := memguard.WithLabels(context.Background(), "model", "injected")
			var rep *memguard.Report
			detected := 0
			for run := 1; run <= maxRuns && detected == 0; run++ {
				rep, err = g.Run(ctx, "leak", tc.fn)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Verdict.State == memguard.StateLeak {
					detected = run
				}
			}
			if detected == 0 {
				t.Fatalf("no leak verdict in %d runs; last verdict %+v", maxRuns, rep.Verdict)
			}
			where, ok := attributed(rep, tc.culprit, tc.heap)
			if !ok {
				t.Fatalf("leak not attributed to %s: top growth %+v, goroutines %+v", tc.culprit, rep.TopGrowth, rep.LeakedGoroutines)
			}
			if !tc.heap && rep.LeakedGoroutines[0].Labels["model"] != "injected" {
				t.Errorf("leaked goroutine labels %v lack model=injected", rep.LeakedGoroutines[0].Labels)
			}
			if tc.allocator != "" {
				w, ok := allocatedUnder(g.Reports(), tc.allocator, tc.culprit)
				if !ok {
					t.Errorf("no heap site %s under %s in any report", tc.allocator, tc.culprit)
				}
				where += "; " + w
			}
			t.Logf("detected after %d runs: %s; by %s", detected, rep.Verdict.Reason, where)
		})
	}
}

// allocatedUnder finds a heap site named fn whose stack passes through
// caller in any of the reports.
func allocatedUnder(reps []*memguard.Report, fn, caller string) (string, bool) {
	for _, r := range reps {
		for _, s := range r.TopGrowth {
			if s.Function == fn && stackHas(s.Stack, caller) {
				return fmt.Sprintf("heap site %s (%s:%d) +%d B in run %d", s.Function, s.File, s.Line, s.Bytes, r.Run), true
			}
		}
	}
	return "", false
}
