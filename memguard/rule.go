package memguard

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The leak rule, shared by every series memguard judges: retained heap,
// memory outside the Go heap, open file descriptors and mapped regions per
// run of a kind, and retained heap per checkpoint within one run.
//
// A series is a sequence of increments (what one run, or one stretch
// between checkpoints, kept). The first WarmUp increments after a (re)start
// are not judged: caches and pools fill then. Of the rest, the last Window
// are kept. With at least MinRuns of them, let
//
//	noise  σ = 1.4826 · MAD(window)              (robust standard deviation)
//	recent   = mean of the last MinRuns increments
//	tail     = mean of the last ⌈MinRuns/2⌉ increments
//
// The series leaks when growth persists and stands above the noise:
//
//	recent > max(floor, Sigmas·σ/√MinRuns)  and  tail > max(floor, Sigmas·σ/√⌈MinRuns/2⌉)
//	and at least ⌈MinRuns/2⌉ of the last 2·MinRuns increments are above the floor
//
// The series is suspect while the recent mean is above the floor without
// the rest of the leak condition (a cache filling, or that filled within
// the last MinRuns increments, or growth within the noise), and when a
// single increment is above the single-run threshold. MinRuns increments
// without growth, a plateau, therefore clear it: the recent mean is then
// within the floor.
//
// The median absolute deviation is taken about the window's median, so a
// steady leak (all increments alike) has no noise and a cache that filled
// in a few runs does not inflate it; the tail condition is what keeps a
// cache that filled early in the window from being called a leak.
//
// A slow leak, below the floor, is called by a second condition where it
// is enabled (retained heap per run: slowFloor = SlowLeakFloorBytes): over
// the last 2·MinRuns increments memory is never given back (none below
// −slowFloor) and grows in both halves, either steadily (by more than
// slowFloor per increment on average in each half, and by more than
// slowFloor in at least MinRuns of them) or in lumps (by more than
// 4·slowFloor on average in each half, in at least ⌈MinRuns/2⌉ of them:
// a slice whose backing array is reallocated every few runs). "Never
// given back" stands in for the noise test here: the lumps of a growing
// slice make the robust deviation as large as the mean, while a job's
// noise goes both ways. The counts and the lumpy floor keep out the
// runtime's own structures (the goroutine table, for one), which grow in
// clean jobs by a few KiB in a few runs. A slow leak so stands out in a
// job whose retained memory otherwise holds still; one smaller than the
// job's own noise cannot, and is left to the hunt's per-line attribution.
// A cache that fills over a few runs and stops fails the second half.

// rule is the leak rule with its parameters for one series.
type rule struct {
	warmUp, window, minRuns int
	sigmas                  float64
	// floor is the growth per increment at or below which growth is noise;
	// single the one increment that is suspect on its own.
	floor, single float64
	// slowFloor, if positive, enables the slow-leak condition (see
	// slowLeak) with this floor per increment; 0 disables it.
	slowFloor float64
	// resource and unit name the series in reasons, step what one
	// increment is ("run" or "checkpoint").
	resource, unit, step string
}

// series is the judged history of one measured quantity.
type series struct {
	// n counts increments since the last restart, warm-up included.
	n int
	// incs holds the last Window post-warm-up increments, oldest first.
	incs []float64
}

// Judgement is the verdict on one measured series.
type Judgement struct {
	// Resource is what was measured: ResourceHeap, ResourceOffHeap,
	// ResourceFDs, ResourceMaps or ResourceInRun.
	Resource string `json:"resource"`
	// State is StateClean, StateSuspect or StateLeak; Reason says why,
	// with the numbers behind it.
	State  string `json:"state"`
	Reason string `json:"reason"`
	// Recent is the mean increment over the last MinRuns increments, Tail
	// over the last half of them, Threshold the level Recent had to pass
	// and Noise the robust standard deviation of the window's increments,
	// in the resource's unit (bytes, descriptors, regions).
	Recent    float64 `json:"recent"`
	Tail      float64 `json:"tail"`
	Threshold float64 `json:"threshold"`
	Noise     float64 `json:"noise"`
	// Points is the number of increments judged; Plateau the number of
	// most recent ones that did not grow.
	Points  int `json:"points"`
	Plateau int `json:"plateau"`
	// Last is the latest increment.
	Last float64 `json:"last"`
}

// Resources judged.
const (
	ResourceHeap    = "heap"
	ResourceOffHeap = "offheap"
	ResourceFDs     = "fds"
	ResourceMaps    = "maps"
	ResourceInRun   = "in_run"
	// ResourceGoroutines is the Verdict.Resource of goroutine leaks,
	// which are judged by their own rule (see Verdict).
	ResourceGoroutines = "goroutines"
)

// restart forgets the history: the next increment is the first of a new
// warm-up.
func (s *series) restart() {
	s.n = 0
	s.incs = s.incs[:0]
}

// add records an increment and judges the series.
func (s *series) add(r *rule, inc float64) Judgement {
	s.n++
	if s.n > r.warmUp {
		if len(s.incs) == r.window {
			copy(s.incs, s.incs[1:])
			s.incs = s.incs[:r.window-1]
		}
		s.incs = append(s.incs, inc)
	}
	return r.judge(s.n, s.incs, inc)
}

// judge applies the rule to the post-warm-up increments incs; n counts all
// increments since the restart and last is the latest.
func (r *rule) judge(n int, incs []float64, last float64) Judgement {
	j := Judgement{Resource: r.resource, State: StateClean, Points: len(incs), Last: last}
	switch {
	case n <= r.warmUp:
		j.Reason = fmt.Sprintf("%s: warming up, %d of %d; last %s", r.resource, n, r.warmUp, r.amount(last))
		return r.named(j)
	case len(incs) < r.minRuns:
		if last > r.single {
			j.State = StateSuspect
			j.Reason = fmt.Sprintf("%s: one {step} grew %s, above the single-{step} threshold of %s", r.resource, r.amount(last), r.amount(r.single))
			return r.named(j)
		}
		j.Reason = fmt.Sprintf("%s: %d of %d {step}s needed to judge; last %s", r.resource, len(incs), r.minRuns, r.amount(last))
		return r.named(j)
	}
	m := r.minRuns
	h := (m + 1) / 2
	j.Noise = robustSD(incs)
	j.Recent = mean(incs[len(incs)-m:])
	j.Tail = mean(incs[len(incs)-h:])
	j.Threshold = max(r.floor, r.sigmas*j.Noise/math.Sqrt(float64(m)))
	tailThreshold := max(r.floor, r.sigmas*j.Noise/math.Sqrt(float64(h)))
	grows := max(r.floor, r.sigmas*j.Noise)
	// Persistence: at least ⌈MinRuns/2⌉ of the last 2·MinRuns increments
	// carry growth above the floor, so that one spike, however large, is
	// not a leak, while a leak every second or third run is.
	above := 0
	for _, d := range incs[max(0, len(incs)-2*m):] {
		if d > r.floor {
			above++
		}
	}
	for i := len(incs) - 1; i >= 0 && incs[i] <= grows; i-- {
		j.Plateau++
	}
	switch {
	case j.Recent > j.Threshold && j.Tail > tailThreshold && above >= h:
		j.State = StateLeak
		j.Reason = fmt.Sprintf("%s grows %s per {step} over the last %d {step}s (%s over the last %d), above %s (floor %s, noise σ %s)",
			r.resource, r.amount(j.Recent), m, r.amount(j.Tail), h, r.amount(j.Threshold), r.amount(r.floor), r.amount(j.Noise))
	case r.slowLeak(incs):
		j.State = StateLeak
		w := incs[len(incs)-2*m:]
		j.Reason = fmt.Sprintf("%s grows slowly: %s per {step} over the last %d {step}s (%s, then %s), never given back, above the slow-leak floor of %s",
			r.resource, r.amount(mean(w)), 2*m, r.amount(mean(w[:m])), r.amount(mean(w[m:])), r.amount(r.slowFloor))
	case j.Recent > r.floor && j.Tail <= r.floor:
		j.State = StateSuspect
		j.Reason = fmt.Sprintf("%s grew %s per {step} over the last %d {step}s but %s over the last %d: filling, or filled (clean once %d {step}s pass without growth; %d so far)",
			r.resource, r.amount(j.Recent), m, r.amount(j.Tail), h, m, j.Plateau)
	case j.Recent > r.floor:
		j.State = StateSuspect
		j.Reason = fmt.Sprintf("%s grows %s per {step} over the last %d {step}s, above the floor of %s but not steadily or not above the noise (σ %s)",
			r.resource, r.amount(j.Recent), m, r.amount(r.floor), r.amount(j.Noise))
	case last > r.single:
		j.State = StateSuspect
		j.Reason = fmt.Sprintf("%s: one {step} grew %s, above the single-{step} threshold of %s", r.resource, r.amount(last), r.amount(r.single))
	default:
		j.Reason = fmt.Sprintf("%s: %s per {step} over the last %d {step}s, within %s (floor %s, noise σ %s)",
			r.resource, r.amount(j.Recent), m, r.amount(j.Threshold), r.amount(r.floor), r.amount(j.Noise))
	}
	return r.named(j)
}

// slowLeak reports whether the last 2·MinRuns increments of incs show a
// slow leak, steady or lumpy (see the rule's comment).
func (r *rule) slowLeak(incs []float64) bool {
	m := r.minRuns
	if r.slowFloor <= 0 || len(incs) < 2*m {
		return false
	}
	w := incs[len(incs)-2*m:]
	grew := 0
	for _, d := range w {
		if d < -r.slowFloor {
			return false
		}
		if d > r.slowFloor {
			grew++
		}
	}
	low := min(mean(w[:m]), mean(w[m:]))
	return (grew >= m && low > r.slowFloor) || (grew >= (m+1)/2 && low > 4*r.slowFloor)
}

// named puts the rule's step into j's reason.
func (r *rule) named(j Judgement) Judgement {
	step := r.step
	if step == "" {
		step = "run"
	}
	j.Reason = strings.ReplaceAll(j.Reason, "{step}", step)
	return j
}

// amount formats a quantity in the rule's unit.
func (r *rule) amount(v float64) string {
	if r.unit == "B" {
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.2g %s", v, r.unit)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// robustSD is 1.4826 times the median absolute deviation from the median:
// the standard deviation for normal noise, unmoved by a few outliers such
// as the runs in which a cache filled.
func robustSD(xs []float64) float64 {
	if len(xs) < 3 {
		return 0
	}
	s := slices.Clone(xs)
	med := median(s)
	for i, x := range xs {
		s[i] = math.Abs(x - med)
	}
	return 1.4826 * median(s)
}

// median sorts xs and returns its median.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// worse reports whether state a is more severe than b.
func worse(a, b string) bool { return severity(a) > severity(b) }

func severity(s string) int {
	switch s {
	case StateLeak:
		return 2
	case StateSuspect:
		return 1
	}
	return 0
}
