package memguard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/sync/semaphore"
)

// ErrBudgetExceeded is wrapped by the error Run returns when a run's live
// heap growth passed Options.MaxRetainedBytes and the run was cancelled.
var ErrBudgetExceeded = errors.New("memguard: memory budget exceeded")

// gateWeight is the weight of an exclusive hold on a Guard's gate; shared
// runs take weight 1, so an exclusive holder waits for all of them.
const gateWeight = math.MaxInt32

// Guard watches guarded runs. It is safe for concurrent use.
type Guard struct {
	opts Options

	// gate lets shared runs overlap and exclusive ones (Options.Exclusive,
	// Hunt) wait for the others. It is FIFO, so a waiting Hunt holds back
	// runs that arrive after it.
	gate *semaphore.Weighted

	idBase string
	seq    atomic.Uint64

	mu         sync.Mutex
	kinds      map[string]*kindState
	ring       []*Report // oldest overwritten first
	next       int       // ring index of the next report
	diffs      map[string][]byte
	quarantine map[string]QuarantineEntry

	rateMu    sync.Mutex
	rateUsers int
	rateSaved int

	metrics *collector
}

// New returns a Guard configured by opts.
func New(opts Options) (*Guard, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Guard{
		opts:       o,
		gate:       semaphore.NewWeighted(gateWeight),
		idBase:     strconv.FormatInt(time.Now().UnixNano(), 36),
		kinds:      make(map[string]*kindState),
		ring:       make([]*Report, 0, o.KeepReports),
		diffs:      make(map[string][]byte),
		quarantine: make(map[string]QuarantineEntry),
	}
	g.metrics = newCollector(g)
	return g, nil
}

// Options returns the Guard's options with defaults filled in.
func (g *Guard) Options() Options { return g.opts }

// Run runs fn under the guard as a unit of work of the given kind and
// reports what it retained. Run blocks for the duration of fn plus the
// settling (four GC cycles) and the goroutine grace period, at most
// Options.GoroutineGrace, when fn left goroutines running.
//
// fn receives a context carrying pprof labels memguard_kind=kind and
// memguard_run=<report ID> (plus any set with WithLabels on ctx), which
// goroutines it starts inherit. fn's context is cancelled if the memory
// budget is exceeded.
//
// The returned report is complete even when fn fails; the error wraps
// fn's error, or ErrBudgetExceeded. Run returns a nil report only when ctx
// ends before the run could start. Runs must not nest: with
// Options.Exclusive, or while a Hunt waits, a nested Run deadlocks.
func (g *Guard) Run(ctx context.Context, kind string, fn func(ctx context.Context) error) (*Report, error) {
	if fn == nil {
		panic("memguard: Run with nil fn")
	}
	w := int64(1)
	if g.opts.Exclusive {
		w = gateWeight
	}
	if err := g.gate.Acquire(ctx, w); err != nil {
		return nil, fmt.Errorf("memguard: run %s: %w", kind, err)
	}
	defer g.gate.Release(w)

	ks := g.kindState(kind)
	prof := g.shouldProfile(ks)
	if prof && g.opts.MemProfileRate > 0 {
		defer g.setProfileRate(g.opts.MemProfileRate)()
	}
	return g.run(ctx, kind, fn, ks, prof, nil)
}

// kindState returns the history of kind, creating it.
func (g *Guard) kindState(kind string) *kindState {
	g.mu.Lock()
	defer g.mu.Unlock()
	ks := g.kinds[kind]
	if ks == nil {
		ks = &kindState{}
		g.kinds[kind] = ks
	}
	return ks
}

func (g *Guard) shouldProfile(ks *kindState) bool {
	switch g.opts.Profile {
	case ProfileAlways:
		return true
	case ProfileNever:
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return ks.armed
}

// setProfileRate sets runtime.MemProfileRate to rate while any profiled
// run wants it and returns the function that gives it back. Overlapping
// runs share one saved value; the last to finish restores it.
func (g *Guard) setProfileRate(rate int) (restore func()) {
	g.rateMu.Lock()
	defer g.rateMu.Unlock()
	if g.rateUsers == 0 {
		g.rateSaved = runtime.MemProfileRate
		runtime.MemProfileRate = rate
	}
	g.rateUsers++
	return func() {
		g.rateMu.Lock()
		defer g.rateMu.Unlock()
		g.rateUsers--
		if g.rateUsers == 0 {
			runtime.MemProfileRate = g.rateSaved
		}
	}
}

// heapProfile writes the heap profile under rateMu: the profile writer
// reads runtime.MemProfileRate to scale samples, and an overlapping run
// may be setting it.
func (g *Guard) heapProfile() ([]byte, error) {
	g.rateMu.Lock()
	defer g.rateMu.Unlock()
	return heapProfile()
}

// run is Run after admission. extra labels are added to the report.
func (g *Guard) run(ctx context.Context, kind string, fn func(ctx context.Context) error, ks *kindState, prof bool, extra map[string]string) (*Report, error) {
	id := g.idBase + "-" + strconv.FormatUint(g.seq.Add(1), 10)
	rep := &Report{ID: id, Kind: kind, Profiled: prof}
	pprof.ForLabels(ctx, func(k, v string) bool {
		if rep.Labels == nil {
			rep.Labels = make(map[string]string)
		}
		rep.Labels[k] = v
		return true
	})
	for k, v := range extra {
		if rep.Labels == nil {
			rep.Labels = make(map[string]string)
		}
		rep.Labels[k] = v
	}

	// The base profile is kept as bytes until the end, so it is counted
	// in both readings; the extra GC makes the "before" reading include
	// it. Profiles are taken right after a GC because they describe the
	// heap as of the last completed cycle.
	settle()
	var baseProf []byte
	var profErr error
	if prof {
		baseProf, profErr = g.heapProfile()
		runtime.GC()
	}
	before := read()

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopSampler := g.startSampler(runCtx, cancel, before.heapLive)
	call := &runCall{fn: fn}
	created := goroutinesCreated()
	rep.Started = time.Now()
	pprof.Do(runCtx, pprof.Labels(LabelKind, kind, LabelRun, id), call.call)
	rep.Finished = time.Now()
	// If no goroutine at all was created while fn ran, fn left none
	// behind and the goroutine profile can be skipped.
	spawned := created < 0 || goroutinesCreated() != created
	stopSampler()
	fnErr := call.err
	budgetErr := context.Cause(runCtx)
	if !errors.Is(budgetErr, ErrBudgetExceeded) {
		budgetErr = nil
	}

	// Wait for finishing goroutines before settling: what they hold is
	// freed when they end.
	var groups []goroutineGroup
	var gerr error
	if spawned {
		groups, gerr = awaitGoroutines(id, g.opts.GoroutineGrace)
	}
	leaked := 0
	for _, gr := range groups {
		leaked += gr.count
	}

	settle()
	after := read()
	var diff []byte
	if prof && profErr == nil {
		var cur []byte
		cur, profErr = g.heapProfile()
		if profErr == nil {
			var d *profile.Profile
			d, profErr = diffHeap(baseProf, cur)
			if profErr == nil {
				rep.TopGrowth = topGrowth(d, g.opts.TopSites)
				diff, profErr = encodeProfile(d)
			}
		}
	}
	// Described after the reading: the descriptions are not the run's.
	rep.LeakedGoroutines = describeGoroutines(groups, g.opts.MaxGoroutineStacks)

	rep.HeapLiveBefore, rep.HeapLiveAfter = before.heapLive, after.heapLive
	rep.RetainedBytes = after.heapLive - before.heapLive
	rep.HeapObjectsBefore, rep.HeapObjectsAfter = before.heapObjects, after.heapObjects
	rep.GoMemoryBefore, rep.GoMemoryAfter = before.goMemory, after.goMemory
	rep.RSSBefore, rep.RSSAfter = before.rss, after.rss
	rep.GoroutinesBefore, rep.GoroutinesAfter = before.goroutines, after.goroutines

	var err error
	switch {
	case budgetErr != nil && fnErr != nil:
		err = fmt.Errorf("memguard: run %s (%s): %w (fn returned: %w)", kind, id, budgetErr, fnErr)
	case budgetErr != nil:
		err = fmt.Errorf("memguard: run %s (%s): %w", kind, id, budgetErr)
	case fnErr != nil:
		err = fmt.Errorf("memguard: run %s (%s): %w", kind, id, fnErr)
	}
	if err != nil {
		rep.Error = err.Error()
	}
	// Measurement problems do not fail the caller's work: they are
	// recorded on the report.
	if merr := errors.Join(profErr, gerr); merr != nil {
		rep.MeasureError = merr.Error()
	}

	g.mu.Lock()
	rep.Verdict = ks.judge(&g.opts, rep.RetainedBytes, leaked, after.heapLive)
	rep.Run = ks.runs
	g.store(rep, diff)
	g.mu.Unlock()
	g.metrics.observe(rep)
	return rep, err
}

// runCall calls a run's fn. It is a named method so that allocations made
// by fn can be told from memguard's own in heap profiles (see ownAlloc).
type runCall struct {
	fn  func(ctx context.Context) error
	err error
}

func (c *runCall) call(ctx context.Context) { c.err = c.fn(ctx) }

// startSampler enforces Options.MaxRetainedBytes while a run executes. It
// reads the live heap as of the last GC without forcing one, so it costs
// one runtime/metrics read per tick. The returned stop waits for it.
func (g *Guard) startSampler(ctx context.Context, cancel context.CancelCauseFunc, base int64) (stop func()) {
	limit := g.opts.MaxRetainedBytes
	if limit <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		hs := newHeapSampler()
		t := time.NewTicker(g.opts.SampleInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if grown := hs.live() - base; grown > limit {
					cancel(fmt.Errorf("%w: live heap grew by %d bytes, limit %d bytes", ErrBudgetExceeded, grown, limit))
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// store appends rep to the ring, evicting the oldest report and its diff
// profile. g.mu is held.
func (g *Guard) store(rep *Report, diff []byte) {
	if len(g.ring) < g.opts.KeepReports {
		g.ring = append(g.ring, rep)
	} else {
		delete(g.diffs, g.ring[g.next].ID)
		g.ring[g.next] = rep
	}
	g.next = (g.next + 1) % g.opts.KeepReports
	if diff != nil {
		g.diffs[rep.ID] = diff
	}
}

// Reports returns the kept reports, latest first.
func (g *Guard) Reports() []*Report {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*Report, 0, len(g.ring))
	n := len(g.ring)
	for i := 1; i <= n; i++ {
		out = append(out, g.ring[(g.next-i+n)%n])
	}
	return out
}

// Report returns the kept report with the given ID.
func (g *Guard) Report(id string) (*Report, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.ring {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}

// DiffProfile returns the heap diff profile of a kept, profiled report:
// gzipped pprof data with in-use bytes the run kept as positive values,
// for `go tool pprof -sample_index=inuse_space`.
func (g *Guard) DiffProfile(id string) ([]byte, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.diffs[id]
	return b, ok
}
