package memguard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HuntResult is the outcome of a leak hunt.
type HuntResult struct {
	// Culprits names the candidates found leaking, sorted. Each was
	// quarantined.
	Culprits []string `json:"culprits"`
	// Candidates holds the figures of every candidate, sorted by name.
	Candidates []Candidate `json:"candidates"`
	// Shared lists leaks in code that several candidates call (a helper
	// every model uses): allocation sites, by line, that grew in most
	// post-warm-up runs of at least two candidates. Each such leak may
	// be too small per run to make any candidate a culprit; it is not a
	// reason to quarantine them, but to fix the line.
	Shared []SharedLeak `json:"shared,omitempty"`
	// Seconds is how long the hunt took, of which WaitedSeconds waiting
	// for the guard to be free of other runs (it runs at low priority).
	Seconds       float64 `json:"seconds"`
	WaitedSeconds float64 `json:"waited_seconds"`
}

// SharedLeak is a leaking allocation site reached from several candidates.
type SharedLeak struct {
	// Site is the leaking line; its Stack is one of the stacks that
	// reach it and Bytes, Objects the growth summed over the
	// post-warm-up runs of all the Models.
	Site Site `json:"site"`
	// Models names the candidates through which the site leaked, sorted.
	Models []string `json:"models"`
	// BytesPerRun is the mean growth per post-warm-up run of one model.
	BytesPerRun float64 `json:"bytes_per_run"`
	// Reason says it in a sentence: "shared code, line X, reached from
	// models A, B, C".
	Reason string `json:"reason"`
}

// Candidate is the figures of one candidate of a hunt.
type Candidate struct {
	Name string `json:"name"`
	Runs int    `json:"runs"`
	// Culprit says whether the candidate was found leaking, and Reason
	// why or why not, with numbers. State is the verdict on its last run
	// (clean, suspect or leak: the rule of rule.go over its runs) and
	// Resource the series it is about; Culprit is State == leak.
	Culprit  bool   `json:"culprit"`
	Reason   string `json:"reason"`
	State    string `json:"state,omitempty"`
	Resource string `json:"resource,omitempty"`
	// SlopeBytesPerRun is the least-squares growth of cumulative retained
	// bytes per run after the warm-up; PositiveFraction the fraction of
	// those runs whose heap grew above the rule's noise level.
	SlopeBytesPerRun float64 `json:"slope_bytes_per_run"`
	PositiveFraction float64 `json:"positive_fraction"`
	// MeanRetainedBytes is the mean retained bytes per run after the
	// warm-up.
	MeanRetainedBytes float64 `json:"mean_retained_bytes"`
	// LeakyGoroutineRuns is the number of runs that left goroutines
	// running; LeakedGoroutines the total they left.
	LeakyGoroutineRuns int `json:"leaky_goroutine_runs"`
	LeakedGoroutines   int `json:"leaked_goroutines"`
	// TopGrowth is the growing allocation sites of the last run, and
	// LeakedGoroutineStacks the leaked goroutines of the last run that
	// leaked any.
	TopGrowth             []Site      `json:"top_growth,omitempty"`
	LeakedGoroutineStacks []Goroutine `json:"leaked_goroutine_stacks,omitempty"`
	// LeakingSites are the allocation sites, by line, that grew in at
	// least MinPositiveFraction of the post-warm-up runs, with their
	// growth summed over those runs, largest first. They name small
	// leaks that stay under the noise floor per run, and feed
	// HuntResult.Shared.
	LeakingSites []Site `json:"leaking_sites,omitempty"`
	// RetainedPerRun is what each of the candidate's runs retained, first
	// to last (the runs' reports are not kept: see runSpec.transient).
	RetainedPerRun []int64 `json:"retained_per_run"`
	// Errors counts runs that returned an error; LastError is the last.
	Errors    int    `json:"errors"`
	LastError string `json:"last_error,omitempty"`
}

// Hunt runs each candidate alone, runs times in a row, with every run
// profiled at Options.HuntMemProfileRate, and names the candidates that
// leak: those whose runs the leak rule (rule.go, the rule every kind is
// judged by) calls leak at the last run, with the guard's warm-up (at most
// runs−2) and all the runs after it as the window. Culprits are
// quarantined with the reason.
//
// Hunt runs beside the guard's other runs, at low priority: each of its
// runs holds the Guard exclusively (a heap measured while other work runs
// would count that work), but only for that run, and takes the guard when
// no run is in flight; when none has been idle for Options.HuntPatience
// it queues like an exclusive run, so a run that arrives meanwhile waits
// for at most one hunt run. The fine sampling rate is set only within
// each hunt run. One hunt at a time per Guard: a second returns
// ErrHuntRunning. Candidates run in name order, each with a fresh
// history, kind "hunt:"+name and the label memguard_candidate. A
// candidate's error does not stop the hunt; ctx ending does, returning
// ctx's error with the figures gathered so far. runs must be at least 3.
func (g *Guard) Hunt(ctx context.Context, candidates map[string]func(ctx context.Context) error, runs int) (*HuntResult, error) {
	if runs < 3 {
		return nil, fmt.Errorf("memguard: hunt needs at least 3 runs per candidate, got %d", runs)
	}
	if g.opts.DisableHunt {
		return nil, ErrHuntDisabled
	}
	if !g.hunting.CompareAndSwap(false, true) {
		return nil, ErrHuntRunning
	}
	defer g.hunting.Store(false)
	started := time.Now()
	// Leave at least two runs after the warm-up for a slope.
	warm := min(g.opts.WarmUp, runs-2)
	res := &HuntResult{Candidates: []Candidate{}, Culprits: []string{}}
	defer func() { res.Seconds = time.Since(started).Seconds() }()
	for _, name := range slices.Sorted(maps.Keys(candidates)) {
		c, waited, err := g.huntCandidate(ctx, name, candidates[name], runs, warm)
		res.WaitedSeconds += waited.Seconds()
		res.Candidates = append(res.Candidates, c)
		if err != nil {
			res.Shared = sharedLeaks(res.Candidates, warm)
			return res, fmt.Errorf("memguard: hunt: %w", err)
		}
		if c.Culprit {
			res.Culprits = append(res.Culprits, name)
			g.Quarantine(name, "hunt: "+c.Reason)
		}
	}
	res.Shared = sharedLeaks(res.Candidates, warm)
	return res, nil
}

// ErrHuntRunning is returned by Hunt while another hunt of the Guard runs.
var ErrHuntRunning = errors.New("memguard: a hunt is already running")

// ErrHuntDisabled is returned by Hunt when Options.DisableHunt is set.
var ErrHuntDisabled = errors.New("memguard: the leak hunt is disabled (Options.DisableHunt)")

// huntPoll is how often a hunt run waiting for an idle guard looks again.
const huntPoll = 20 * time.Millisecond

// acquireIdle takes the gate exclusively for one hunt run: as soon as no
// run is in flight, or, if none has been for Options.HuntPatience, in
// turn like any exclusive run. It returns how long it waited.
func (g *Guard) acquireIdle(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	if g.gate.TryAcquire(gateWeight) {
		return 0, nil
	}
	tick := time.NewTicker(huntPoll)
	defer tick.Stop()
	for time.Since(t0) < g.opts.HuntPatience {
		select {
		case <-ctx.Done():
			return time.Since(t0), ctx.Err()
		case <-tick.C:
		}
		if g.gate.TryAcquire(gateWeight) {
			return time.Since(t0), nil
		}
	}
	err := g.gate.Acquire(ctx, gateWeight)
	return time.Since(t0), err
}

// huntRun is one run of a hunt candidate, alone and finely sampled.
func (g *Guard) huntRun(ctx context.Context, sp runSpec) (*Report, time.Duration, error) {
	waited, err := g.acquireIdle(ctx)
	if err != nil {
		return nil, waited, err
	}
	defer g.gate.Release(gateWeight)
	defer g.setProfileRate(g.opts.HuntMemProfileRate)()
	rep, err := g.run(ctx, sp)
	return rep, waited, err
}

// huntCandidate runs one candidate runs times and judges it. It returns
// ctx's error if ctx ended, with the figures gathered so far.
func (g *Guard) huntCandidate(ctx context.Context, name string, fn func(ctx context.Context) error, runs, warm int) (Candidate, time.Duration, error) {
	c := Candidate{Name: name}
	var waited time.Duration
	ks := &kindState{}
	judge := g.opts.huntOptions(runs, warm)
	var last Verdict
	retained := make([]int64, 0, runs)
	// The post-warm-up runs' growth is summed by line as each run ends:
	// keeping every run's sites, stacks and all, at the hunt's fine
	// sampling held megabytes for the length of a candidate, on the heap
	// of the jobs that run beside the hunt.
	lines := lineSums{}
	for run := range runs {
		if err := ctx.Err(); err != nil {
			return c, waited, err
		}
		var deltas map[string]*Site
		rep, w, err := g.huntRun(ctx, runSpec{kind: "hunt:" + name, fn: fn, ks: ks, prof: true,
			extra: map[string]string{"memguard_candidate": name},
			sites: func(d map[string]*Site) { deltas = d }, transient: true, judge: judge})
		waited += w
		if rep == nil {
			return c, waited, err
		}
		c.Runs++
		if err != nil {
			c.Errors++
			c.LastError = err.Error()
		}
		retained = append(retained, rep.RetainedBytes)
		if run >= warm {
			lines.add(deltas)
		}
		if n := rep.Verdict.LeakedGoroutines; n > 0 {
			c.LeakyGoroutineRuns++
			c.LeakedGoroutines += n
			c.LeakedGoroutineStacks = rep.LeakedGoroutines
		}
		c.TopGrowth = rep.TopGrowth
		last = rep.Verdict
	}
	c.LeakingSites = lines.leaking(runs-warm, g.opts.MinPositiveFraction, g.opts.TopSites)
	c.RetainedPerRun = retained
	g.judgeCandidate(&c, last, retained[warm:])
	return c, waited, nil
}

// lineKey names an allocation site by its line, whatever the stack that
// reached it: a helper called from several models is one site.
func lineKey(s *Site) string {
	return s.Function + " " + s.File + ":" + strconv.Itoa(s.Line)
}

// lineSums sums runs' growth by line (lineKey), counting the runs in
// which each line grew.
type lineSums map[string]*lineSum

type lineSum struct {
	site     Site
	positive int
}

// add sums one run's growth per stack into its lines.
func (ls lineSums) add(deltas map[string]*Site) {
	perLine := map[string]*Site{}
	for _, d := range deltas {
		k := lineKey(d)
		if s := perLine[k]; s != nil {
			s.grow(d)
			continue
		}
		c := *d
		perLine[k] = &c
	}
	for k, s := range perLine {
		a := ls[k]
		if a == nil {
			a = &lineSum{site: s.atLine()}
			ls[k] = a
		}
		a.site.grow(s)
		if s.Bytes > 0 {
			a.positive++
		}
	}
}

// leaking returns the lines that grew in at least frac of runs (the
// number of runs added), with their growth summed over the runs, largest
// first, at most n.
func (ls lineSums) leaking(runs int, frac float64, n int) []Site {
	var out []Site
	for _, a := range ls {
		if a.site.Bytes > 0 && float64(a.positive) >= frac*float64(runs) {
			out = append(out, a.site)
		}
	}
	slices.SortFunc(out, largestFirst)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// sharedLeaks returns the leaking sites that at least two candidates
// share, largest first.
func sharedLeaks(cs []Candidate, warm int) []SharedLeak {
	byLine := map[string]*SharedLeak{}
	var runs = map[string]int{}
	for _, c := range cs {
		for _, s := range c.LeakingSites {
			k := lineKey(&s)
			sl := byLine[k]
			if sl == nil {
				sl = &SharedLeak{Site: s.atLine()}
				byLine[k] = sl
			}
			sl.Site.grow(&s)
			sl.Models = append(sl.Models, c.Name)
			runs[k] += max(0, c.Runs-warm)
		}
	}
	var out []SharedLeak
	for k, sl := range byLine {
		if len(sl.Models) < 2 {
			continue
		}
		slices.Sort(sl.Models)
		sl.BytesPerRun = float64(sl.Site.Bytes) / float64(max(1, runs[k]))
		sl.Reason = fmt.Sprintf("shared code, line %s (%s:%d), reached from models %s: +%d B over the hunt's measured runs",
			sl.Site.Function, sl.Site.File, sl.Site.Line, strings.Join(sl.Models, ", "), sl.Site.Bytes)
		out = append(out, *sl)
	}
	slices.SortFunc(out, func(a, b SharedLeak) int { return largestFirst(a.Site, b.Site) })
	return out
}

// atLine is s's line (function, file, line, stack) with no growth, to sum
// the growth of its runs or models into.
func (s *Site) atLine() Site {
	return Site{Function: s.Function, File: s.File, Line: s.Line, Stack: s.Stack}
}

// grow adds o's growth to s.
func (s *Site) grow(o *Site) {
	s.Bytes += o.Bytes
	s.Objects += o.Objects
}

// largestFirst orders sites by growth, largest first, then by function.
func largestFirst(a, b Site) int {
	if a.Bytes != b.Bytes {
		return cmp.Compare(b.Bytes, a.Bytes)
	}
	return strings.Compare(a.Function, b.Function)
}

// judgeCandidate names a candidate a culprit when the verdict on its last
// run is leak. The verdict is the kind's rule (rule.go) applied to the
// candidate's runs, heap, memory outside the heap, descriptors, mapped
// regions and goroutines alike, judged on the hunt's warm-up and on all
// its measured runs (see huntOptions): there is one leak rule, not one
// for jobs and another for hunts.
func (g *Guard) judgeCandidate(c *Candidate, v Verdict, retained []int64) {
	var sum int64
	for _, r := range retained {
		sum += r
	}
	c.MeanRetainedBytes = float64(sum) / float64(max(1, len(retained)))
	c.SlopeBytesPerRun, c.PositiveFraction = v.Slope, v.PositiveFraction
	c.State, c.Resource = v.State, v.Resource
	if v.State == StateLeak {
		c.Culprit = true
		why := []string{v.Reason}
		switch {
		case v.Resource == ResourceGoroutines && len(c.LeakedGoroutineStacks) > 0:
			why = append(why, "in "+c.LeakedGoroutineStacks[0].Function)
		case len(c.TopGrowth) > 0:
			s := c.TopGrowth[0]
			why = append(why, fmt.Sprintf("top site %s (%s:%d) +%d B", s.Function, s.File, s.Line, s.Bytes))
		}
		c.Reason = strings.Join(why, "; ")
		return
	}
	c.Reason = v.State + ": " + v.Reason + "; " + strconv.Itoa(c.LeakyGoroutineRuns) + " runs leaving goroutines"
	if len(c.LeakingSites) > 0 {
		s := c.LeakingSites[0]
		c.Reason += fmt.Sprintf("; but site %s (%s:%d) grew in most runs, +%d B in all", s.Function, s.File, s.Line, s.Bytes)
	}
}

// huntOptions are the options a hunt judges a candidate's runs with: the
// guard's, with the warm-up the hunt leaves and every measured run in the
// window, MinRuns capped at their number so that the rule can judge them.
func (o Options) huntOptions(runs, warm int) *Options {
	o.WarmUp = warm
	o.MinRuns = max(2, min(o.MinRuns, runs-warm))
	o.Window = max(o.MinRuns, runs-warm)
	return &o
}
