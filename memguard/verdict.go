package memguard

import (
	"fmt"

	"gonum.org/v1/gonum/stat"
)

// kindState is the history of one kind of work. Guard.mu guards it.
type kindState struct {
	runs int
	// cum is the sum of retained bytes over all runs: the live heap the
	// kind would hold had nothing else run.
	cum int64
	// points holds (run, cum) for the last Window post-warm-up runs.
	points []point
	// goStreak counts consecutive runs that leaked goroutines.
	goStreak int
	// armed makes the next run profiled under ProfileAuto.
	armed bool
	// lastLive is the settled live heap after the last run.
	lastLive int64
}

type point struct {
	run int
	cum float64
}

// judge records a run's figures and returns the kind's verdict.
func (ks *kindState) judge(o *Options, retained int64, leaked int, live int64) Verdict {
	ks.runs++
	ks.cum += retained
	ks.lastLive = live
	if leaked > 0 {
		ks.goStreak++
	} else {
		ks.goStreak = 0
	}
	if ks.runs > o.WarmUp {
		if len(ks.points) == o.Window {
			copy(ks.points, ks.points[1:])
			ks.points = ks.points[:o.Window-1]
		}
		ks.points = append(ks.points, point{run: ks.runs, cum: float64(ks.cum)})
	}

	v := Verdict{LeakedGoroutines: leaked}
	fitted := len(ks.points) >= o.MinRuns
	if fitted {
		v.Slope, v.PositiveFraction = fit(ks.points)
		v.Points = len(ks.points)
	}
	floor := float64(o.NoiseFloorBytes)
	positives := int(v.PositiveFraction*float64(v.Points-1) + 0.5)
	switch {
	case ks.goStreak >= o.MinRuns:
		v.State = StateLeak
		v.Reason = fmt.Sprintf("each of the last %d runs left goroutines running (%d this run)", ks.goStreak, leaked)
	case fitted && v.Slope > floor && v.PositiveFraction >= o.MinPositiveFraction:
		v.State = StateLeak
		v.Reason = fmt.Sprintf("retained heap grows %.0f B per run over the last %d runs (noise floor %d B), %d of %d increments positive",
			v.Slope, v.Points, o.NoiseFloorBytes, positives, v.Points-1)
	case leaked > 0:
		v.State = StateSuspect
		v.Reason = fmt.Sprintf("run left %d goroutines running after a grace of %v", leaked, o.GoroutineGrace)
	case fitted && v.Slope > floor:
		v.State = StateSuspect
		v.Reason = fmt.Sprintf("retained heap grows %.0f B per run over the last %d runs (noise floor %d B) but only %d of %d increments are positive",
			v.Slope, v.Points, o.NoiseFloorBytes, positives, v.Points-1)
	case ks.runs > o.WarmUp && retained > o.SuspectRetainedBytes:
		v.State = StateSuspect
		v.Reason = fmt.Sprintf("run retained %d B, above the single-run threshold of %d B", retained, o.SuspectRetainedBytes)
	case fitted:
		v.State = StateClean
		v.Reason = fmt.Sprintf("retained heap slope %.0f B per run over the last %d runs is within the noise floor of %d B", v.Slope, v.Points, o.NoiseFloorBytes)
	case ks.runs <= o.WarmUp:
		v.State = StateClean
		v.Reason = fmt.Sprintf("warming up: run %d of %d; retained %d B", ks.runs, o.WarmUp, retained)
	default:
		v.State = StateClean
		v.Reason = fmt.Sprintf("%d of %d runs needed for a slope; retained %d B", len(ks.points), o.MinRuns, retained)
	}
	// Profile the next run when this one gave any reason to look closer.
	ks.armed = v.State != StateClean || retained > o.NoiseFloorBytes || leaked > 0
	return v
}

// fit returns the least-squares slope of cum over run and the fraction of
// positive run-to-run increments.
func fit(ps []point) (slope, positive float64) {
	x := make([]float64, len(ps))
	y := make([]float64, len(ps))
	pos := 0
	for i, p := range ps {
		x[i], y[i] = float64(p.run), p.cum
		if i > 0 && p.cum > ps[i-1].cum {
			pos++
		}
	}
	_, slope = stat.LinearRegression(x, y, nil, false)
	return slope, float64(pos) / float64(len(ps)-1)
}
