package memguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/forecastd/forecastd/memguard"
)

func TestRunBasics(t *testing.T) {
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := memguard.WithLabels(context.Background(), "model", "ets")
	errBoom := errors.New("boom")
	rep, err := g.Run(ctx, "fit", func(ctx context.Context) error {
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Run error = %v, want wrapping %v", err, errBoom)
	}
	if rep == nil {
		t.Fatal("nil report for a failed run")
	}
	if rep.Kind != "fit" || rep.Labels["model"] != "ets" || rep.Run != 1 {
		t.Errorf("report kind %q labels %v run %d", rep.Kind, rep.Labels, rep.Run)
	}
	if rep.HeapLiveBefore <= 0 || rep.HeapLiveAfter <= 0 || rep.GoroutinesBefore <= 0 || rep.GoMemoryAfter <= 0 {
		t.Errorf("missing readings: %+v", rep)
	}
	if rep.RetainedBytes != rep.HeapLiveAfter-rep.HeapLiveBefore {
		t.Errorf("retained %d != after-before %d", rep.RetainedBytes, rep.HeapLiveAfter-rep.HeapLiveBefore)
	}
	if rep.Verdict.State != memguard.StateClean {
		t.Errorf("verdict %+v, want clean", rep.Verdict)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"retained_bytes"`, `"heap_live_before"`, `"goroutines_after"`, `"verdict":{"state":"clean"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
	got, ok := g.Report(rep.ID)
	if !ok || got != rep {
		t.Errorf("Report(%q) = %v, %v", rep.ID, got, ok)
	}
	if rs := g.Reports(); len(rs) != 1 || rs[0] != rep {
		t.Errorf("Reports() = %v", rs)
	}
}

func TestReportsRing(t *testing.T) {
	g, err := memguard.New(memguard.Options{KeepReports: 3, GoroutineGrace: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 5 {
		rep, err := g.Run(context.Background(), "k", func(context.Context) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rep.ID)
	}
	rs := g.Reports()
	if len(rs) != 3 {
		t.Fatalf("kept %d reports, want 3", len(rs))
	}
	for i, r := range rs {
		if want := ids[4-i]; r.ID != want {
			t.Errorf("Reports()[%d] = %s, want %s (latest first)", i, r.ID, want)
		}
	}
	if _, ok := g.Report(ids[0]); ok {
		t.Errorf("evicted report %s still found", ids[0])
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := memguard.New(memguard.Options{WarmUp: -1, MinPositiveFraction: 2}); err == nil {
		t.Fatal("New accepted negative WarmUp and MinPositiveFraction 2")
	}
	if _, err := memguard.New(memguard.Options{NoiseSigmas: -1, MemProfileRate: -2, OffHeapNoiseFloorBytes: -1}); err == nil {
		t.Fatal("New accepted negative NoiseSigmas, OffHeapNoiseFloorBytes and MemProfileRate -2")
	}
	g, err := memguard.New(memguard.Options{MemProfileRate: -1})
	if err != nil {
		t.Fatalf("MemProfileRate -1 (leave the runtime's): %v", err)
	}
	if o := g.Options(); o.MemProfileRate != -1 || o.NoiseSigmas != 3 || o.SampleInterval != 10*time.Millisecond {
		t.Errorf("options with defaults %+v", o)
	}
}

// TestDiffProfile checks that a profiled run's diff profile is valid pprof
// data in which the run's retained allocation is a positive in-use sample.
func TestDiffProfile(t *testing.T) {
	g, err := memguard.New(memguard.Options{Profile: memguard.ProfileAlways, MemProfileRate: 4096})
	if err != nil {
		t.Fatal(err)
	}
	// A first run pays for lazy initialisation in the runtime and
	// libraries (profile tables, label maps); the second measures fn alone.
	if _, err := g.Run(context.Background(), "diff", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var kept []byte
	rep, err := g.Run(context.Background(), "diff", func(context.Context) error {
		kept = make([]byte, 1<<20)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := g.DiffProfile(rep.ID)
	if !ok {
		t.Fatal("no diff profile for a profiled run")
	}
	p, err := profile.ParseData(b)
	if err != nil {
		t.Fatalf("diff profile does not parse: %v", err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if len(rep.TopGrowth) == 0 || rep.TopGrowth[0].Bytes != 1<<20 || !strings.Contains(rep.TopGrowth[0].Function, "TestDiffProfile.func") {
		t.Errorf("top growth %+v, want 1 MiB in TestDiffProfile's closure", rep.TopGrowth)
	}
	// Besides the megabyte, only the run's context and call record (a
	// few hundred bytes) and runtime bookkeeping move between readings.
	if d := rep.RetainedBytes - 1<<20; d < -1<<10 || d > 1<<10 {
		t.Errorf("retained %d B, want 1 MiB ± 1 KiB", rep.RetainedBytes)
	}
	runtime.KeepAlive(kept)
	if _, ok := g.DiffProfile("nope"); ok {
		t.Error("diff profile for an unknown report")
	}
}

// TestGrace checks that goroutines that finish within the grace period
// are not reported, and ones that do not are, with their labels.
func TestGrace(t *testing.T) {
	g, err := memguard.New(memguard.Options{GoroutineGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := g.Run(context.Background(), "finishing", func(context.Context) error {
		go time.Sleep(20 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.LeakedGoroutines) != 0 || rep.Verdict.State != memguard.StateClean {
		t.Errorf("finishing goroutine reported: %+v %+v", rep.LeakedGoroutines, rep.Verdict)
	}

	release := make(chan struct{})
	defer close(release)
	ctx := memguard.WithLabels(context.Background(), "model", "croston")
	rep, err = g.Run(ctx, "stuck", func(context.Context) error {
		go func() { <-release }()
		go func() { <-release }()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.State != memguard.StateSuspect || rep.Verdict.LeakedGoroutines != 2 {
		t.Fatalf("verdict %+v, want suspect with 2 leaked goroutines", rep.Verdict)
	}
	lg := rep.LeakedGoroutines
	if len(lg) != 2 || lg[0].Labels["model"] != "croston" || lg[0].Labels[memguard.LabelKind] != "stuck" || len(lg[0].IDs) != 1 || lg[0].State != "chan receive" {
		t.Errorf("leaked goroutines %+v", lg)
	}
}

// TestExclusive checks that exclusive runs do not overlap.
func TestExclusive(t *testing.T) {
	g, err := memguard.New(memguard.Options{Exclusive: true, GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var inFlight, most atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			_, err := g.Run(context.Background(), "x", func(context.Context) error {
				n := inFlight.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
				inFlight.Add(-1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d exclusive runs overlapped", most.Load())
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	g, err := memguard.New(memguard.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := g.Run(context.Background(), "holder", func(context.Context) error {
			close(started)
			<-release
			return nil
		})
		done <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := g.Run(ctx, "waiter", func(context.Context) error { return nil })
	if rep != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled ctx behind an exclusive run = %v, %v", rep, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the exclusive run: %v", err)
	}
}

func ExampleGuard_Run() {
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := memguard.WithLabels(context.Background(), "model", "theta")
	rep, err := g.Run(ctx, "fit", func(ctx context.Context) error {
		x := make([]float64, 1<<16)
		for i := range x {
			x[i] = float64(i)
		}
		return nil
	})
	fmt.Println(rep.Kind, rep.Labels["model"], rep.Verdict.State, len(rep.LeakedGoroutines), err)
	// Output: fit theta clean 0 <nil>
}
