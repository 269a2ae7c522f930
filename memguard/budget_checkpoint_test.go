package memguard_test

import (
	"context"
	"errors"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

// TestBudgetNamesModel runs a model that allocates as fast as it can,
// checking its context between megabytes, under a 32 MiB budget: the run
// must stop near the budget, not at a multiple of the process heap, and
// the error and report must name the model and phase that was running.
func TestBudgetNamesModel(t *testing.T) {
	const limit = 32 << 20
	g, err := memguard.New(memguard.Options{MaxRetainedBytes: limit, GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var held int
	rep, err := g.Run(context.Background(), "train", func(ctx context.Context) error {
		done := make(chan struct{})
		go pprof.Do(ctx, pprof.Labels("model", "arima", "phase", "fit"), func(ctx context.Context) {
			defer close(done)
			var hold [][]byte
			for held = 0; held < 1<<30 && ctx.Err() == nil; held += 1 << 20 {
				b := make([]byte, 1<<20)
				for i := 0; i < len(b); i += 4096 {
					b[i] = 1
				}
				hold = append(hold, b)
			}
			runtime.KeepAlive(hold)
		})
		<-done
		return ctx.Err()
	})
	if !errors.Is(err, memguard.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want ErrBudgetExceeded", err)
	}
	if !strings.Contains(err.Error(), "model=arima phase=fit") {
		t.Errorf("error does not name the model and phase: %v", err)
	}
	if rep.Budget == nil || len(rep.Budget.Running) == 0 || rep.Budget.Running[0].Labels["model"] != "arima" {
		t.Fatalf("report budget %+v does not name model arima first", rep.Budget)
	}
	if held > 8*limit {
		t.Errorf("the run held %d MiB when stopped, budget %d MiB", held>>20, limit>>20)
	}
	t.Logf("stopped at %d MiB held (budget %d MiB): %v", held>>20, limit>>20, err)
}

// TestCheckpointInRunLeak flags a leak that grows from fit to fit within
// one job, the job's first, while a job whose growth is its own results
// (counted in resultBytes) stays clean.
func TestCheckpointInRunLeak(t *testing.T) {
	cases := []struct {
		name   string
		leak   bool
		want   string
		result int
	}{
		{"leaks 128 KiB per fit", true, memguard.StateLeak, 8 << 10},
		{"keeps 128 KiB of results per fit", false, memguard.StateClean, 128 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := memguard.New(memguard.Options{CheckpointOverhead: 1, GoroutineGrace: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			var leaked [][]byte
			var flaggedAt int
			rep, err := g.Run(context.Background(), "train", func(ctx context.Context) error {
				var results [][]byte
				resultBytes := 0
				for fit := 1; fit <= 40; fit++ {
					if tc.leak {
						leaked = append(leaked, make([]byte, 128<<10))
					}
					results = append(results, make([]byte, tc.result))
					resultBytes += tc.result
					if fit%2 == 0 {
						j, ok := memguard.Checkpoint(ctx, int64(resultBytes))
						if !ok {
							t.Fatal("Checkpoint outside a run")
						}
						if j.State == memguard.StateLeak && flaggedAt == 0 {
							flaggedAt = fit
						}
					}
				}
				runtime.KeepAlive(results)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Run != 1 || rep.Verdict.State != tc.want || rep.Checkpoints != 20 {
				t.Fatalf("run %d verdict %s after %d checkpoints, want %s after 20: %s", rep.Run, rep.Verdict.State, rep.Checkpoints, tc.want, rep.Verdict.Reason)
			}
			if tc.leak && rep.Verdict.Resource != memguard.ResourceInRun {
				t.Errorf("leak verdict on %s, want %s", rep.Verdict.Resource, memguard.ResourceInRun)
			}
			t.Logf("flagged at fit %d: %s", flaggedAt, rep.Verdict.Reason)
			runtime.KeepAlive(leaked)
		})
	}
	if _, ok := memguard.Checkpoint(context.Background(), 0); ok {
		t.Error("Checkpoint outside a run reported ok")
	}
}

// BenchmarkCheckpoint runs a job of 120 fits (~100 ms) under Run with and
// without a Checkpoint after every fit, alternately in each iteration,
// and reports the overhead of the checkpoints in percent of wall and CPU
// time (the default Options.CheckpointOverhead of 2 % bounds it):
//
//	go test -run '^$' -bench Checkpoint -benchtime 20x ./memguard/
func BenchmarkCheckpoint(b *testing.B) {
	ctx := context.Background()
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := newWorkload(1)
	job := func(check bool) func(context.Context) error {
		return func(ctx context.Context) error {
			for range benchUnits {
				if err := w.run(ctx, 1); err != nil {
					return err
				}
				if check {
					memguard.Checkpoint(ctx, 0)
				}
			}
			return nil
		}
	}
	var ab abTimer
	checkpoints := 0
	for b.Loop() {
		ab.a(b, func() {
			if _, err := g.Run(ctx, "plain", job(false)); err != nil {
				b.Fatal(err)
			}
		})
		ab.b(b, func() {
			rep, err := g.Run(ctx, "checked", job(true))
			if err != nil {
				b.Fatal(err)
			}
			checkpoints += rep.Checkpoints
		})
	}
	ab.report(b, "run", "checked")
	b.ReportMetric(float64(checkpoints)/float64(b.N), "measured/op")
}
