package memguard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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
	diffOrder  []string // IDs of the kept diff profiles, oldest first
	quarantine map[string]QuarantineEntry

	rateMu    sync.Mutex
	rateUsers int
	rateSaved int

	metrics *collector

	// hunting is set while a Hunt runs: one at a time.
	hunting atomic.Bool
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
// Options.Exclusive, or while a hunt run waits in turn, a nested Run
// deadlocks.
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
	return g.run(ctx, runSpec{kind: kind, fn: fn, ks: ks, prof: prof})
}

// Restart restarts the window of the given kinds, or of every kind if
// none is given: their next runs warm up again and are judged afresh.
// Call it after a deploy, or any change of what a kind runs; Quarantine
// and Unquarantine call it for every kind, because the runs after them do
// not do the work the window measured. Without it a kind whose leaking
// model was quarantined stays leak or suspect until the leaking runs
// leave the window. reason is quoted in the verdicts of the warm-up.
func (g *Guard) Restart(reason string, kinds ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.restartLocked(reason, kinds...)
}

func (g *Guard) restartLocked(reason string, kinds ...string) {
	if len(kinds) == 0 {
		for _, ks := range g.kinds {
			ks.restart(reason)
		}
		return
	}
	for _, k := range kinds {
		if ks := g.kinds[k]; ks != nil {
			ks.restart(reason)
		}
	}
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

// runSpec is one run to make after admission.
type runSpec struct {
	kind string
	fn   func(ctx context.Context) error
	ks   *kindState
	prof bool
	// extra labels are added to the report.
	extra map[string]string
	// sites, if set, receives the run's heap growth per stack (Hunt).
	sites func(map[string]*Site)
	// transient runs return their report without keeping it in the ring:
	// a hunt's runs (candidates × runs, ~160) would evict every job's
	// report and hold their diff profiles; the hunt's result carries what
	// they found.
	transient bool
	// judge, if set, replaces the guard's options in judging the run: a
	// hunt judges its few runs per candidate with the same rule on a
	// shorter warm-up and window.
	judge *Options
}

// run is Run after admission.
func (g *Guard) run(ctx context.Context, sp runSpec) (*Report, error) {
	id := g.idBase + "-" + strconv.FormatUint(g.seq.Add(1), 10)
	rep := &Report{ID: id, Kind: sp.kind, Profiled: sp.prof, Labels: runLabels(ctx, sp.extra)}

	// The base profile is kept as bytes until the end, so it is counted
	// in both readings; the extra GC makes the "before" reading include
	// it. Profiles are taken right after a GC because they describe the
	// heap as of the last completed cycle.
	t0 := time.Now()
	settle(!g.opts.SkipOffHeap)
	settleCost := time.Since(t0)
	var baseProf []byte
	var profErr error
	if sp.prof {
		baseProf, profErr = g.heapProfile()
		runtime.GC()
	}
	before := read()

	ex := g.execute(ctx, rep, sp, before, settleCost)

	// Wait for finishing goroutines before settling: what they hold is
	// freed when they end.
	var groups []goroutineGroup
	var gerr error
	if ex.spawned {
		groups, gerr = awaitGoroutines(id, g.opts.GoroutineGrace)
	}
	leaked := 0
	for _, gr := range groups {
		leaked += gr.count
	}

	settle(!g.opts.SkipOffHeap)
	after := read()
	var deltas map[string]*Site
	var diff []byte
	if sp.prof && profErr == nil {
		deltas, diff, profErr = g.profileDiff(baseProf)
		rep.TopGrowth = topSites(deltas, g.opts.TopSites)
		if sp.sites != nil {
			sp.sites(deltas)
		}
	}
	// Described after the reading: the descriptions are not the run's.
	rep.LeakedGoroutines = describeGoroutines(groups, g.opts.MaxGoroutineStacks)
	rep.setReadings(before, after)

	err := ex.err(sp.kind, id)
	if err != nil {
		rep.Error = err.Error()
	}
	// Measurement problems do not fail the caller's work: they are
	// recorded on the report.
	if merr := errors.Join(profErr, gerr); merr != nil {
		rep.MeasureError = merr.Error()
	}
	f := runFigures{retained: rep.RetainedBytes, leaked: leaked, after: after, inRun: ex.inRun}
	if !g.opts.SkipOffHeap && before.rss > 0 && after.rss > 0 && before.fds >= 0 && after.fds >= 0 && before.maps >= 0 && after.maps >= 0 {
		f.other = true
		// Memory outside the Go heap that grows grows the RSS too. When
		// the process shrinks, the runtime's count of released memory
		// can grow by more than RSS falls (pages it releases that were
		// never touched), which would read as off-heap growth.
		f.offHeap = float64(min(after.offHeap-before.offHeap, after.anonRSS-before.anonRSS))
		f.fds = float64(after.fds - before.fds)
		f.maps = float64(after.maps - before.maps)
	}

	g.mu.Lock()
	g.judgeLocked(rep, sp, f, deltas)
	if !sp.transient {
		g.store(rep, diff)
	}
	g.mu.Unlock()
	g.metrics.observe(rep)
	return rep, err
}

// runLabels returns the pprof labels of ctx plus extra, or nil if none.
func runLabels(ctx context.Context, extra map[string]string) map[string]string {
	var labels map[string]string
	set := func(k, v string) bool {
		if labels == nil {
			labels = make(map[string]string)
		}
		labels[k] = v
		return true
	}
	pprof.ForLabels(ctx, set)
	for k, v := range extra {
		set(k, v)
	}
	return labels
}

// execution is what happened while fn ran.
type execution struct {
	fnErr, budgetErr error
	spawned          bool
	inRun            *Judgement
}

// execute runs fn under its labels, the budget sampler and the checkpoint
// state, and fills the report's times, budget trip and checkpoint count.
// settleCost, the time settling took before the run, is the first
// estimate of what a checkpoint costs.
func (g *Guard) execute(ctx context.Context, rep *Report, sp runSpec, before reading, settleCost time.Duration) execution {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rs := newRunState(&g.opts, before.heapLive, settleCost/2)
	runCtx = context.WithValue(runCtx, runStateKey{}, rs)
	stopSampler := g.startSampler(runCtx, cancel, rep.ID)
	call := &runCall{fn: sp.fn}
	created := goroutinesCreated()
	rep.Started = time.Now()
	rs.start = rep.Started
	pprof.Do(runCtx, pprof.Labels(LabelKind, sp.kind, LabelRun, rep.ID), call.call)
	rep.Finished = time.Now()
	// If no goroutine at all was created while fn ran, fn left none
	// behind and the goroutine profile can be skipped.
	ex := execution{fnErr: call.err, spawned: created < 0 || goroutinesCreated() != created}
	rep.Budget = stopSampler()
	if cause := context.Cause(runCtx); errors.Is(cause, ErrBudgetExceeded) {
		ex.budgetErr = cause
	}
	rep.Checkpoints, ex.inRun = rs.finish()
	return ex
}

// err is the error Run returns for the execution.
func (ex execution) err(kind, id string) error {
	switch {
	case ex.budgetErr != nil && ex.fnErr != nil:
		return fmt.Errorf("memguard: run %s (%s): %w (fn returned: %w)", kind, id, ex.budgetErr, ex.fnErr)
	case ex.budgetErr != nil:
		return fmt.Errorf("memguard: run %s (%s): %w", kind, id, ex.budgetErr)
	case ex.fnErr != nil:
		return fmt.Errorf("memguard: run %s (%s): %w", kind, id, ex.fnErr)
	}
	return nil
}

// profileDiff takes the heap profile after the run and returns its growth
// over base per stack and as an encoded diff profile.
func (g *Guard) profileDiff(base []byte) (map[string]*Site, []byte, error) {
	cur, err := g.heapProfile()
	if err != nil {
		return nil, nil, err
	}
	defer g.quietProfiling()()
	d, err := diffHeap(base, cur)
	if err != nil {
		return nil, nil, err
	}
	deltas := siteDeltas(d)
	diff, err := encodeProfile(d)
	return deltas, diff, err
}

// quietProfiling puts back the sampling rate in force before the guard
// changed it while a profile is diffed, if no other profiled run needs
// the fine rate meanwhile, and returns the function that sets the fine
// rate again. At a fine rate, parsing and merging profiles is sampled so
// densely that it costs more than the run, and leaves a profile bucket
// per new stack that every later profile carries. rateMu is held until
// then, so a profiled run that starts meanwhile waits for the fine rate.
func (g *Guard) quietProfiling() (restore func()) {
	g.rateMu.Lock()
	if g.rateUsers != 1 {
		g.rateMu.Unlock()
		return func() {}
	}
	fine := runtime.MemProfileRate
	runtime.MemProfileRate = g.rateSaved
	return func() {
		runtime.MemProfileRate = fine
		g.rateMu.Unlock()
	}
}

// setReadings copies the settled readings into the report.
func (rep *Report) setReadings(before, after reading) {
	rep.HeapLiveBefore, rep.HeapLiveAfter = before.heapLive, after.heapLive
	rep.RetainedBytes = after.heapLive - before.heapLive
	rep.HeapObjectsBefore, rep.HeapObjectsAfter = before.heapObjects, after.heapObjects
	rep.GoMemoryBefore, rep.GoMemoryAfter = before.goMemory, after.goMemory
	rep.RSSBefore, rep.RSSAfter = before.rss, after.rss
	rep.OffHeapBefore, rep.OffHeapAfter = before.offHeap, after.offHeap
	rep.FDsBefore, rep.FDsAfter = before.fds, after.fds
	rep.MapsBefore, rep.MapsAfter = before.maps, after.maps
	rep.GoroutinesBefore, rep.GoroutinesAfter = before.goroutines, after.goroutines
}

// judgeLocked judges the run, sums its heap growth into the kind's window
// and names the window's sites while the verdict is not clean. g.mu is
// held.
func (g *Guard) judgeLocked(rep *Report, sp runSpec, f runFigures, deltas map[string]*Site) {
	ks, o := sp.ks, &g.opts
	if sp.judge != nil {
		o = sp.judge
	}
	rep.Verdict = ks.judgeRun(o, f)
	rep.Run = ks.runs
	ks.lastVerdict = rep.Verdict
	// A hunt's runs (transient) need no window: the hunt sums their
	// growth by line itself.
	if deltas != nil && !sp.transient {
		ks.window.add(ks.runs, deltas)
	}
	if rep.Verdict.State != StateClean && ks.window.runs > 0 {
		rep.WindowGrowth = topSites(ks.window.sites, g.opts.TopSites)
		rep.WindowSince, rep.WindowRuns = ks.window.since, ks.window.runs
	}
	if !ks.armed {
		// Nothing to look at any more: the next episode of growth
		// starts a new baseline.
		ks.window.reset()
	}
}

// runCall calls a run's fn. It is a named method so that allocations made
// by fn can be told from memguard's own in heap profiles (see ownAlloc).
type runCall struct {
	fn  func(ctx context.Context) error
	err error
}

func (c *runCall) call(ctx context.Context) { c.err = c.fn(ctx) }

// store appends rep to the ring, evicting the oldest report and its diff
// profile. g.mu is held.
func (g *Guard) store(rep *Report, diff []byte) {
	if len(g.ring) < g.opts.KeepReports {
		g.ring = append(g.ring, rep)
	} else {
		if _, ok := g.diffs[g.ring[g.next].ID]; ok {
			delete(g.diffs, g.ring[g.next].ID)
			g.diffOrder = slices.DeleteFunc(g.diffOrder, func(id string) bool { return id == g.ring[g.next].ID })
		}
		g.ring[g.next] = rep
	}
	g.next = (g.next + 1) % g.opts.KeepReports
	if diff != nil {
		// Only the latest KeepProfiles diffs are kept: a kind that
		// stays armed is profiled every run, and a diff of tens of KiB
		// per report would make memguard's own memory grow with the
		// ring (what a soak test sees as a leak of the service).
		if len(g.diffOrder) == g.opts.KeepProfiles {
			delete(g.diffs, g.diffOrder[0])
			g.diffOrder = append(g.diffOrder[:0], g.diffOrder[1:]...)
		}
		g.diffs[rep.ID] = diff
		g.diffOrder = append(g.diffOrder, rep.ID)
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
