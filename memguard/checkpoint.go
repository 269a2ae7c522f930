package memguard

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// runStateKey is the context key of the state of the run a context
// belongs to.
type runStateKey struct{}

// runState is what Checkpoint needs of the run it is called in.
type runState struct {
	mu    sync.Mutex
	rule  rule
	share float64
	start time.Time
	// base is the settled live heap before the run.
	base int64
	// spent is the time spent settling in checkpoints; lastCost the
	// cost of the last settling, the estimate of the next.
	spent, lastCost time.Duration
	level           float64
	s               series
	last            *Judgement
	measured        int
	live            [1]metrics.Sample
}

func newRunState(o *Options, base int64, cost time.Duration) *runState {
	return &runState{rule: o.inRunRule(), share: o.CheckpointOverhead, base: base, lastCost: cost,
		live: [1]metrics.Sample{{Name: metricHeapLive}}}
}

// Checkpoint judges whether the run that ctx belongs to is leaking while
// it runs. A job that fits many models calls it every k fits with
// resultBytes, the bytes of results the job legitimately holds so far
// (they are not a leak); Checkpoint settles the heap (a GC cycle),
// takes the live heap's growth since the run began less resultBytes, and
// judges the growth between checkpoints by the rule runs of a kind are
// judged by (Options.WarmUp checkpoints of warm-up, then MinRuns to call
// a leak, with the noise floor and threshold of retained heap). A leak
// that grows from fit to fit is so flagged within the job; the judgement
// joins the run's verdict.
//
// Checkpoint keeps its cost within Options.CheckpointOverhead of the
// run's elapsed time: a call that would exceed it returns the last
// judgement without measuring, so it may be called as often as is
// convenient. ok is false, and nothing is measured, if ctx does not
// belong to a run of a Guard. It is safe for concurrent use by the run's
// goroutines.
func Checkpoint(ctx context.Context, resultBytes int64) (j Judgement, ok bool) {
	rs, ok := ctx.Value(runStateKey{}).(*runState)
	if !ok {
		return Judgement{}, false
	}
	return rs.checkpoint(resultBytes), true
}

func (rs *runState) checkpoint(resultBytes int64) Judgement {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	t0 := time.Now()
	if rs.share < 1 && float64(rs.spent+rs.lastCost) > rs.share*float64(t0.Sub(rs.start)) {
		if rs.last != nil {
			return *rs.last
		}
		return Judgement{Resource: ResourceInRun, State: StateClean, Reason: "in_run: not measured yet"}
	}
	// One cycle, not settle's two: the live heap is all a checkpoint
	// reads, and what sync.Pool victims hold is alike from one
	// checkpoint to the next.
	runtime.GC()
	metrics.Read(rs.live[:])
	rs.lastCost = time.Since(t0)
	rs.spent += rs.lastCost
	level := float64(uint64Value(rs.live[0]) - rs.base - resultBytes)
	j := rs.s.add(&rs.rule, level-rs.level)
	rs.level = level
	rs.measured++
	rs.last = &j
	return j
}

// finish returns the number of measured checkpoints and the last
// judgement, nil if none.
func (rs *runState) finish() (int, *Judgement) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.measured, rs.last
}
