package forecast

import (
	"testing"
)

// TestGlobalStatsReported: Run tells Options.OnGlobal what the pool cost
// (one model per candidate and fold offset plus the final one, their
// rows and CPU), and nothing when there is no global candidate.
func TestGlobalStatsReported(t *testing.T) {
	series := storeItemSeries(t, "3", 6, 200)
	var got []GlobalStats
	o := Options{Horizon: 14, Candidates: specs(t, "seasonal_naive", "global_gbdt", "global_gbdt_direct"),
		OnGlobal: func(gs GlobalStats) { got = append(got, gs) }}
	runAll(t, series, o)
	if len(got) != 1 {
		t.Fatalf("OnGlobal called %d times, want once", len(got))
	}
	gs := got[0]
	// 3 folds and the full histories, for each of the two candidates.
	if gs.Series != 6 || gs.Groups != 1 || gs.Models != 8 {
		t.Errorf("stats %+v, want 6 series, 1 group, 8 models", gs)
	}
	if gs.Rows <= 0 || gs.MaxRows <= 0 || gs.MaxRows > gs.Rows || gs.Rows > 8*6*200 {
		t.Errorf("rows %d (largest model %d) for 8 models of 6 series x 200 days", gs.Rows, gs.MaxRows)
	}
	if gs.CPUSeconds <= 0 || gs.Seconds <= 0 {
		t.Errorf("CPU %v s, wall %v s; want both measured", gs.CPUSeconds, gs.Seconds)
	}
	var sum GlobalStats
	sum.Add(gs)
	sum.Add(gs)
	if sum.Models != 16 || sum.Rows != 2*gs.Rows || sum.MaxRows != gs.MaxRows {
		t.Errorf("two pools added: %+v", sum)
	}

	got = nil
	o.Candidates = specs(t, "seasonal_naive")
	runAll(t, series, o)
	if len(got) != 0 {
		t.Errorf("no global candidate, yet OnGlobal got %+v", got)
	}
}
