package memguard

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
)

// kindState is the history of one kind of work. Guard.mu guards it.
type kindState struct {
	runs int
	// heap, offHeap, fds and maps are the judged series of per-run
	// growth: retained heap bytes, bytes outside the Go heap, open file
	// descriptors and mapped regions.
	heap, offHeap, fds, maps series
	// goStreak counts consecutive runs that leaked goroutines; goRecent
	// says, for each of the last 2·MinRuns runs, whether it did.
	goStreak int
	goRecent []bool
	// armed makes the next run profiled under ProfileAuto.
	armed bool
	// last holds the settled readings after the last run, for metrics.
	last reading
	// restartedAt is the run after which the window last restarted and
	// restartReason why; 0 and "" if it never did.
	restartedAt   int
	restartReason string
	// window accumulates the heap growth sites of the profiled runs since
	// the window's baseline (see siteAccumulator and Guard.judgeLocked).
	window siteAccumulator
	// lastVerdict is the verdict of the last run, for metrics.
	lastVerdict Verdict
}

// runFigures are the measurements of one run that the verdict judges.
type runFigures struct {
	retained int64
	leaked   int
	after    reading
	// other says whether offHeap, fds and maps were measured.
	other              bool
	offHeap, fds, maps float64
	inRun              *Judgement
}

// heapRule, offHeapRule and handleRule return the rules of the per-run
// series; the latter two share the heap rule's window and thresholds and
// differ only in floor, single-run threshold and unit.
// Only the retained heap per run has the slow-leak condition: the Go
// heap after two GC cycles holds still to the byte in a job that keeps
// nothing, while memory outside it moves by pages, and a job's own state
// legitimately grows from checkpoint to checkpoint.
func (o *Options) heapRule() rule {
	return rule{warmUp: o.WarmUp, window: o.Window, minRuns: o.MinRuns, sigmas: o.NoiseSigmas,
		floor: float64(o.NoiseFloorBytes), single: float64(o.SuspectRetainedBytes), resource: ResourceHeap, unit: "B",
		slowFloor: float64(max(0, o.SlowLeakFloorBytes))}
}

func (o *Options) offHeapRule() rule {
	r := o.heapRule()
	r.floor, r.single, r.resource = float64(o.OffHeapNoiseFloorBytes), 16*float64(o.OffHeapNoiseFloorBytes), ResourceOffHeap
	r.slowFloor = 0
	return r
}

func (o *Options) handleRule(resource string) rule {
	r := o.heapRule()
	r.slowFloor = 0
	r.floor, r.single, r.resource = o.HandleNoiseFloor, 16*max(1, o.HandleNoiseFloor), resource
	if resource == ResourceFDs {
		r.unit = "descriptors"
	} else {
		r.unit = "regions"
	}
	return r
}

// inRunRule is the rule for checkpoints within one run: the same
// parameters, counted in checkpoints instead of runs.
func (o *Options) inRunRule() rule {
	r := o.heapRule()
	r.resource, r.step, r.slowFloor = ResourceInRun, "checkpoint", 0
	return r
}

// judge records a run's heap and goroutine figures and returns the kind's
// verdict.
func (ks *kindState) judge(o *Options, retained int64, leaked int, live int64) Verdict {
	return ks.judgeRun(o, runFigures{retained: retained, leaked: leaked, after: reading{heapLive: live}})
}

// judgeRun records a run's figures and returns the kind's verdict: the
// heap and goroutine verdict, made worse by any other series that is.
func (ks *kindState) judgeRun(o *Options, f runFigures) Verdict {
	ks.runs++
	ks.last = f.after
	if f.leaked > 0 {
		ks.goStreak++
	} else {
		ks.goStreak = 0
	}
	if len(ks.goRecent) == 2*o.MinRuns {
		ks.goRecent = ks.goRecent[1:]
	}
	ks.goRecent = append(ks.goRecent, f.leaked > 0)
	goRuns := 0
	for _, l := range ks.goRecent {
		if l {
			goRuns++
		}
	}
	hr := o.heapRule()
	hj := ks.heap.add(&hr, float64(f.retained))
	v := Verdict{LeakedGoroutines: f.leaked, State: hj.State, Reason: hj.Reason, Resource: ResourceHeap}
	if hj.Points >= o.MinRuns {
		v.Points = hj.Points
		v.Slope = slopeOf(ks.heap.incs)
		v.PositiveFraction = growingFraction(ks.heap.incs, max(hr.floor, hr.sigmas*hj.Noise))
	}
	switch {
	case ks.goStreak >= o.MinRuns:
		v.State, v.Resource = StateLeak, ResourceGoroutines
		v.Reason = fmt.Sprintf("each of the last %d runs left goroutines running (%d this run)", ks.goStreak, f.leaked)
	case goRuns >= o.MinRuns:
		// A leak every other run is a leak too.
		v.State, v.Resource = StateLeak, ResourceGoroutines
		v.Reason = fmt.Sprintf("%d of the last %d runs left goroutines running (%d this run)", goRuns, len(ks.goRecent), f.leaked)
	case f.leaked > 0 && v.State == StateClean:
		v.State, v.Resource = StateSuspect, ResourceGoroutines
		v.Reason = fmt.Sprintf("run left %d goroutines running after a grace of %v", f.leaked, o.GoroutineGrace)
	}
	v.Judgements = append(v.Judgements, hj)
	if f.other {
		for _, x := range []struct {
			s   *series
			r   rule
			inc float64
		}{
			{&ks.offHeap, o.offHeapRule(), f.offHeap},
			{&ks.fds, o.handleRule(ResourceFDs), f.fds},
			{&ks.maps, o.handleRule(ResourceMaps), f.maps},
		} {
			j := x.s.add(&x.r, x.inc)
			v.Judgements = append(v.Judgements, j)
			v.worsen(j)
		}
	}
	if f.inRun != nil {
		v.Judgements = append(v.Judgements, *f.inRun)
		v.worsen(*f.inRun)
	}
	if ks.restartedAt > 0 && ks.heap.n <= o.WarmUp {
		v.Reason += fmt.Sprintf(" (window restarted after run %d: %s)", ks.restartedAt, ks.restartReason)
	}
	// Profile the next run when this one gave any reason to look closer.
	ks.armed = v.State != StateClean || f.retained > o.NoiseFloorBytes || f.leaked > 0
	return v
}

// worsen makes v j's state and reason if j is more severe.
func (v *Verdict) worsen(j Judgement) {
	if worse(j.State, v.State) {
		v.State, v.Reason, v.Resource = j.State, j.Reason, j.Resource
	}
}

// restart starts the kind's window afresh: after a quarantine or a deploy
// the work of the kind is not the work the window measured.
func (ks *kindState) restart(reason string) {
	ks.heap.restart()
	ks.offHeap.restart()
	ks.fds.restart()
	ks.maps.restart()
	ks.goStreak = 0
	ks.goRecent = nil
	ks.armed = false
	ks.restartedAt, ks.restartReason = ks.runs, reason
	ks.window.reset()
}

// slopeOf returns the least-squares slope of the cumulative sum of incs
// over their index: the growth per run of what the runs kept.
func slopeOf(incs []float64) float64 {
	x := make([]float64, len(incs))
	y := make([]float64, len(incs))
	cum := 0.0
	for i, d := range incs {
		cum += d
		x[i], y[i] = float64(i), cum
	}
	_, slope := stat.LinearRegression(x, y, nil, false)
	if math.IsNaN(slope) {
		return 0
	}
	return slope
}

// growingFraction is the fraction of incs above level.
func growingFraction(incs []float64, level float64) float64 {
	n := 0
	for _, d := range incs {
		if d > level {
			n++
		}
	}
	return float64(n) / float64(len(incs))
}
