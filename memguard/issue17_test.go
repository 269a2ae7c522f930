package memguard_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

// The leak rule against the shapes an operator meets: a cache that fills
// and stops, clean jobs with heavy garbage, leaks of other shapes, and the
// window's attribution, restart and budget.

// runJobs runs fn n times as kind and returns the reports.
func runJobs(t *testing.T, g *memguard.Guard, kind string, n int, fn func(context.Context) error) []*memguard.Report {
	t.Helper()
	reps := make([]*memguard.Report, 0, n)
	for range n {
		rep, err := g.Run(context.Background(), kind, fn)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	return reps
}

// states returns one letter per report: c clean, s suspect, l leak.
func states(reps []*memguard.Report) string {
	var b strings.Builder
	for _, r := range reps {
		b.WriteByte(r.Verdict.State[0])
	}
	return b.String()
}

// garbage allocates and drops about n bytes in slices of random sizes.
func garbage(rng *rand.Rand, n int) float64 {
	sum := 0.0
	for n > 0 {
		b := make([]float64, 64+rng.IntN(8192))
		for i := range b {
			b[i] = float64(i)
		}
		sum += b[len(b)-1]
		n -= 8 * len(b)
	}
	return sum
}

// TestCacheThatFillsIsNotALeak fills a cache by 1 MiB per job for five
// jobs and then only reads it: suspect is allowed while it fills (the
// rule cannot know it will stop), leak is not, and the plateau clears it.
func TestCacheThatFillsIsNotALeak(t *testing.T) {
	g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cache := map[int][]byte{}
	rng := rand.New(rand.NewPCG(1, 2))
	job := 0
	reps := runJobs(t, g, "cached", 15, func(context.Context) error {
		job++
		if job <= 5 {
			cache[job] = make([]byte, 1<<20)
		}
		garbage(rng, 4<<20)
		return nil
	})
	got := states(reps)
	t.Logf("states %s; last: %s", got, reps[len(reps)-1].Verdict.Reason)
	if strings.Contains(got, "l") {
		t.Fatalf("a cache that fills for five jobs was called a leak: %s", got)
	}
	if last := reps[len(reps)-1].Verdict; last.State != memguard.StateClean {
		t.Errorf("verdict after the plateau %+v, want clean", last)
	}
	runtime.KeepAlive(cache)
}

// TestCleanJobsHeavyGarbage runs 200 clean jobs that each allocate and
// drop 4 MiB and keep a bounded working set that changes from job to
// job, and counts the verdicts: the false-alarm rate quoted in README.md.
func TestCleanJobsHeavyGarbage(t *testing.T) {
	g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	// A bounded LRU-ish working set: 32 slots of up to 64 KiB, one slot
	// replaced per job, so retained bytes go both ways by up to 64 KiB.
	slots := make([][]byte, 32)
	count := map[string]int{}
	for job := 1; job <= 200; job++ {
		rep, err := g.Run(context.Background(), "clean-garbage", func(context.Context) error {
			garbage(rng, 4<<20)
			slots[rng.IntN(len(slots))] = make([]byte, rng.IntN(64<<10))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		count[rep.Verdict.State]++
		if rep.Verdict.State == memguard.StateSuspect {
			t.Logf("job %d: suspect: %s", job, rep.Verdict.Reason)
		}
		if rep.Verdict.State == memguard.StateLeak {
			t.Errorf("job %d: false alarm: %s", job, rep.Verdict.Reason)
		}
	}
	t.Logf("200 clean jobs: %d clean, %d suspect, %d leak", count[memguard.StateClean], count[memguard.StateSuspect], count[memguard.StateLeak])
}

// TestLeakShapes runs further leak shapes; each must be called a leak
// within 15 jobs.
func TestLeakShapes(t *testing.T) {
	var held [][]byte
	t.Cleanup(func() { held = nil })
	keep := func(n int) { held = append(held, make([]byte, n)) }
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name string
		job  func(job int)
	}{
		{"steady 128 KiB", func(int) { keep(128 << 10) }},
		{"every other job 512 KiB", func(j int) {
			if j%2 == 0 {
				keep(512 << 10)
			}
		}},
		{"every third job 768 KiB", func(j int) {
			if j%3 == 0 {
				keep(768 << 10)
			}
		}},
		{"starts at job 6", func(j int) {
			if j >= 6 {
				keep(256 << 10)
			}
		}},
		{"grows with the job number", func(j int) { keep(j * 32 << 10) }},
		{"noisy: 160 KiB ± 96 KiB", func(int) { keep(64<<10 + rng.IntN(192<<10)) }},
		{"many small objects", func(int) {
			for range 4096 {
				keep(32)
			}
		}},
		{"after a warming cache", func(j int) {
			if j <= 4 {
				keep(2 << 20)
			}
			keep(96 << 10)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			job := 0
			var reps []*memguard.Report
			for job < 15 && (len(reps) == 0 || reps[len(reps)-1].Verdict.State != memguard.StateLeak) {
				reps = append(reps, runJobs(t, g, "shape", 1, func(context.Context) error {
					job++
					tc.job(job)
					garbage(rng, 1<<20)
					return nil
				})...)
			}
			last := reps[len(reps)-1].Verdict
			if last.State != memguard.StateLeak {
				t.Fatalf("no leak within 15 jobs: %s; %s", states(reps), last.Reason)
			}
			t.Logf("leak at job %d (%s): %s", job, states(reps), last.Reason)
		})
	}
}

// TestWindowAttribution calls a leak with the default sampling and checks
// that the leaking line is named at the verdict's job and at every later
// one, from the window's summed diffs.
func TestWindowAttribution(t *testing.T) {
	resetLeaks()
	t.Cleanup(resetLeaks)
	g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	reps := runJobs(t, g, "leak", 15, leakAppendSlice)
	first := slices.IndexFunc(reps, func(r *memguard.Report) bool { return r.Verdict.State == memguard.StateLeak })
	if first < 0 {
		t.Fatalf("no leak in 15 jobs: %s", states(reps))
	}
	for _, r := range reps[first:] {
		if r.Verdict.State != memguard.StateLeak {
			t.Errorf("job %d: verdict %s after the leak was called", r.Run, r.Verdict.State)
		}
		if len(r.WindowGrowth) == 0 || !stackHas(r.WindowGrowth[0].Stack, testPkg+"leakAppendSlice") {
			t.Fatalf("job %d: window growth does not name leakAppendSlice: %+v", r.Run, r.WindowGrowth)
		}
	}
	s := reps[len(reps)-1].WindowGrowth[0]
	t.Logf("leak at job %d; at job %d the window (since job %d, %d profiled runs) names %s (%s:%d) +%d B",
		first+1, reps[len(reps)-1].Run, reps[len(reps)-1].WindowSince, reps[len(reps)-1].WindowRuns, s.Function, s.File, s.Line, s.Bytes)
}

// TestRestartAfterQuarantine stops a leak by quarantining its model: the
// window restarts, so the next jobs are judged afresh instead of staying
// leak until the leaking runs leave the window.
func TestRestartAfterQuarantine(t *testing.T) {
	resetLeaks()
	t.Cleanup(resetLeaks)
	g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	leaking := true
	fn := func(ctx context.Context) error {
		if leaking {
			return leakAppendSlice(ctx)
		}
		return nil
	}
	reps := runJobs(t, g, "train", 8, fn)
	if reps[7].Verdict.State != memguard.StateLeak {
		t.Fatalf("no leak after 8 jobs: %s", states(reps))
	}
	g.Quarantine("leaky", "test")
	leaking = false
	reps = runJobs(t, g, "train", 10, fn)
	if got := states(reps); strings.ContainsAny(got, "sl") {
		t.Errorf("after the quarantine: %s, want clean throughout; first reason %s", got, reps[0].Verdict.Reason)
	}
	if !strings.Contains(reps[0].Verdict.Reason, "quarantine of leaky") {
		t.Errorf("first verdict after the quarantine does not say why the window restarted: %s", reps[0].Verdict.Reason)
	}

	// A deploy that fixes a leak restarts the window the same way.
	leaking = true
	reps = runJobs(t, g, "train", 8, fn)
	if reps[7].Verdict.State != memguard.StateLeak {
		t.Fatalf("no leak after 8 more leaking jobs: %s", states(reps))
	}
	g.Restart("deploy v2", "train")
	leaking = false
	reps = runJobs(t, g, "train", 3, fn)
	if got := states(reps); got != "ccc" || !strings.Contains(reps[0].Verdict.Reason, "deploy v2") {
		t.Errorf("after Restart: %s, first reason %s", got, reps[0].Verdict.Reason)
	}
}

// sharedSink is where the shared helper leaks.
var sharedSink [][]float64

// sharedNormalize is a helper every model calls; it leaks 48 small
// copies (64 B each, about 3 KiB) per call: far below the noise floor per
// fit, hundreds of KiB per job of a hundred fits.
func sharedNormalize(x []float64) []float64 {
	out := make([]float64, len(x))
	for i := range 48 {
		sharedSink = append(sharedSink, append([]float64(nil), x[i%len(x):i%len(x)+8]...))
	}
	copy(out, x)
	return out
}

func modelA(x []float64) float64 { return sharedNormalize(x)[0] }
func modelB(x []float64) float64 { return sharedNormalize(x)[1] + 1 }
func modelC(x []float64) float64 { return sharedNormalize(x)[2] * 2 }
func modelD(x []float64) float64 { return slices.Max(x) } // does not call the helper

// TestSharedHelperLeak leaks many small allocations in a helper that
// models A, B and C call: the job-level verdict calls it and names the
// helper, and the hunt, which runs each model alone, reports the helper
// as shared code reached from A, B and C instead of missing it.
func TestSharedHelperLeak(t *testing.T) {
	t.Cleanup(func() { sharedSink = nil })
	g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 256)
	for i := range x {
		x[i] = float64(i)
	}
	models := map[string]func([]float64) float64{"A": modelA, "B": modelB, "C": modelC, "D": modelD}
	var sink float64
	// A job fits 30 series with every model, each fit labelled, as the
	// forecast package labels its fits.
	job := func(ctx context.Context) error {
		for fit := range 30 {
			for _, name := range slices.Sorted(func(yield func(string) bool) {
				for k := range models {
					if !yield(k) {
						return
					}
				}
			}) {
				pprof.Do(ctx, pprof.Labels("model", name, "fit", fmt.Sprint(fit)), func(context.Context) {
					sink += models[name](x)
				})
			}
		}
		return nil
	}
	var reps []*memguard.Report
	for len(reps) < 12 && (len(reps) == 0 || reps[len(reps)-1].Verdict.State != memguard.StateLeak) {
		reps = append(reps, runJobs(t, g, "train", 1, job)...)
	}
	last := reps[len(reps)-1]
	if last.Verdict.State != memguard.StateLeak {
		t.Fatalf("job-level verdicts %s, want a leak by job 12: %s", states(reps), last.Verdict.Reason)
	}
	if len(last.WindowGrowth) == 0 || !stackHas(last.WindowGrowth[0].Stack, testPkg+"sharedNormalize") {
		t.Fatalf("window growth does not name the helper: %+v", last.WindowGrowth)
	}

	cands := map[string]func(context.Context) error{}
	for name, m := range models {
		cands[name] = func(context.Context) error { sink += m(x); return nil }
	}
	res, err := g.Hunt(context.Background(), cands, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Culprits) != 0 {
		t.Errorf("culprits %v: a shared helper is no model's fault", res.Culprits)
	}
	if len(res.Shared) == 0 {
		t.Fatalf("hunt missed the shared leak: %+v", res.Candidates)
	}
	sh := res.Shared[0]
	if sh.Site.Function != testPkg+"sharedNormalize" || !slices.Equal(sh.Models, []string{"A", "B", "C"}) {
		t.Fatalf("shared leak %s, want sharedNormalize reached from A, B, C", sh.Reason)
	}
	t.Logf("job-level leak at job %d, window names %s; hunt: %s", len(reps), last.WindowGrowth[0].Function, sh.Reason)
	runtime.KeepAlive(sink)
}
