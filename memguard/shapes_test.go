package memguard_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

// The further leak shapes an operator will try beyond issue 17's anchors,
// each of which must be called a leak within 15 jobs with the default
// settings, in jobs that also allocate and drop 1 MiB of garbage.

// shapeCache is a package-level cache of shared code: a helper every
// model calls appends to it and nothing ever trims it.
var shapeCache []float64

// shapeRemember is the shared helper that grows shapeCache by 1024
// values (8 KiB) per call: the slice's backing array is reallocated every
// few calls, so the job's retained memory grows in lumps.
//
//go:noinline
func shapeRemember(x float64) {
	for i := range 1024 {
		shapeCache = append(shapeCache, x+float64(i))
	}
}

// TestFurtherLeakShapes is the table of further shapes: how soon each is
// called, and on which resource (README.md, "Further leak shapes").
func TestFurtherLeakShapes(t *testing.T) {
	var held [][]byte
	pool := map[string]*bytes.Buffer{}
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop) // the blocked goroutines end: goleak checks the package
		held, shapeCache = nil, nil
		clear(pool)
	})
	keep := func(n int) { held = append(held, make([]byte, n)) }
	cases := []struct {
		name     string
		resource string
		job      func(ctx context.Context, job int)
	}{
		{"slow: 4 KiB per job", memguard.ResourceHeap, func(_ context.Context, _ int) { keep(4 << 10) }},
		{"starts only after job 10: 256 KiB per job", memguard.ResourceHeap, func(_ context.Context, j int) {
			if j > 10 {
				keep(256 << 10)
			}
		}},
		{"goroutine blocked forever, one per job", memguard.ResourceGoroutines, func(ctx context.Context, _ int) {
			started := make(chan struct{})
			go func() {
				close(started)
				<-stop
			}()
			<-started
		}},
		{"sync.Pool-like map keyed by job, 24 KiB buffers never returned", memguard.ResourceHeap, func(_ context.Context, j int) {
			b := &bytes.Buffer{}
			b.Grow(24 << 10)
			pool[fmt.Sprintf("job-%d", j)] = b
		}},
		{"every other job: 96 KiB (48 KiB per job, below the floor)", memguard.ResourceHeap, func(_ context.Context, j int) {
			if j%2 == 0 {
				keep(96 << 10)
			}
		}},
		{"growing slice of a package-level cache in shared code (8 KiB per job)", memguard.ResourceHeap, func(_ context.Context, j int) {
			shapeRemember(float64(j))
		}},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := memguard.New(memguard.Options{GoroutineGrace: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			job := 0
			var reps []*memguard.Report
			for job < 15 && (len(reps) == 0 || reps[len(reps)-1].Verdict.State != memguard.StateLeak) {
				reps = append(reps, runJobs(t, g, "shape", 1, func(ctx context.Context) error {
					job++
					tc.job(ctx, job)
					garbage(rng, 1<<20)
					return nil
				})...)
			}
			v := reps[len(reps)-1].Verdict
			if v.State != memguard.StateLeak {
				t.Fatalf("no leak within 15 jobs: %s; %s", states(reps), v.Reason)
			}
			if v.Resource != tc.resource {
				t.Errorf("leak on %s, want %s: %s", v.Resource, tc.resource, v.Reason)
			}
			t.Logf("leak at job %d (%s): %s", job, states(reps), v.Reason)
		})
	}
}
