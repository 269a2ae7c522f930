package memguard_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

// TestNoFalseAlarm runs a clean allocation-heavy workload 120 times under
// default options and expects no leak verdict and no leaked goroutine.
func TestNoFalseAlarm(t *testing.T) {
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkload(1)
	states := map[string]int{}
	var maxSlope float64
	for run := 1; run <= 120; run++ {
		rep, err := g.Run(context.Background(), "clean", func(ctx context.Context) error { return w.run(ctx, 1) })
		if err != nil {
			t.Fatal(err)
		}
		states[rep.Verdict.State]++
		maxSlope = max(maxSlope, rep.Verdict.Slope)
		if rep.Verdict.State == memguard.StateLeak || len(rep.LeakedGoroutines) > 0 {
			t.Fatalf("run %d: false alarm: %+v, goroutines %+v", run, rep.Verdict, rep.LeakedGoroutines)
		}
	}
	t.Logf("verdicts over 120 clean runs: %v; largest slope %.0f B/run", states, maxSlope)
}

// TestHunt hides a leaky candidate among clean ones.
func TestHunt(t *testing.T) {
	g, err := memguard.New(memguard.Options{GoroutineGrace: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]byte
	t.Cleanup(func() { kept = nil })
	leaky := func(ctx context.Context) error {
		kept = append(kept, make([]byte, 192<<10))
		return newWorkload(9).run(ctx, 1)
	}
	candidates := map[string]func(context.Context) error{
		"ets":   func(ctx context.Context) error { return newWorkload(2).run(ctx, 1) },
		"theta": func(ctx context.Context) error { return newWorkload(3).run(ctx, 1) },
		"naive": func(ctx context.Context) error { return newWorkload(4).run(ctx, 1) },
		"leaky": leaky,
	}
	res, err := g.Hunt(context.Background(), candidates, 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Candidates {
		t.Logf("%-6s culprit=%-5v slope=%8.0f B/run mean=%8.0f B: %s", c.Name, c.Culprit, c.SlopeBytesPerRun, c.MeanRetainedBytes, c.Reason)
	}
	if len(res.Culprits) != 1 || res.Culprits[0] != "leaky" {
		t.Fatalf("culprits %v, want [leaky]", res.Culprits)
	}
	q := g.Quarantined()
	if len(q) != 1 || !strings.Contains(q["leaky"].Reason, "TestHunt.func") {
		t.Errorf("quarantine %+v, want leaky with a reason naming the allocating function", q)
	}
	if !g.Unquarantine("leaky") || g.IsQuarantined("leaky") {
		t.Error("Unquarantine did not lift the quarantine")
	}
	if _, err := g.Hunt(context.Background(), candidates, 2); err == nil {
		t.Error("Hunt accepted 2 runs")
	}
}

// TestBudget allocates past the budget and expects the run cancelled.
func TestBudget(t *testing.T) {
	const limit = 16 << 20
	g, err := memguard.New(memguard.Options{MaxRetainedBytes: limit, SampleInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := g.Run(context.Background(), "hog", func(ctx context.Context) error {
		var hold [][]byte
		for range 128 { // 128 MiB at most: the budget must stop it long before.
			if err := ctx.Err(); err != nil {
				return err
			}
			hold = append(hold, make([]byte, 1<<20))
			time.Sleep(time.Millisecond)
		}
		runtime.KeepAlive(hold) // held to the end, as a leak would be
		return nil
	})
	if !errors.Is(err, memguard.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want ErrBudgetExceeded", err)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "limit 16777216 bytes") {
		t.Errorf("err = %v, want fn's context.Canceled and the limit", err)
	}
	if rep == nil || rep.Error == "" {
		t.Fatalf("report %+v lacks the error", rep)
	}
	t.Log(err)
}

// TestConcurrentRuns overlaps runs of several kinds (run with -race).
func TestConcurrentRuns(t *testing.T) {
	g, err := memguard.New(memguard.Options{Profile: memguard.ProfileAlways, GoroutineGrace: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			w := newWorkload(uint64(10 + i))
			for range 3 {
				if _, err := g.Run(context.Background(), "fit", func(ctx context.Context) error { return w.run(ctx, 1) }); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(g.Reports()); n != 12 {
		t.Errorf("%d reports, want 12", n)
	}
}
