package jobs

import (
	"math"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// TestFanOutStraggler: the straggler figures of issue 20 from known
// partition times. w1 runs parts 1 (0-40 s) and 3 (40-70 s); w2 runs
// part 2 (0-50 s) and part 4 (50-100 s). w1 runs out of partitions at
// 70 s, the job ends at 100 s: a tail of 30 s, 30% of the 100 s span;
// the longest partition is 50 s (50%); w1 was busy 70 s, w2 100 s.
func TestFanOutStraggler(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(s float64) *time.Time {
		v := t0.Add(time.Duration(s * float64(time.Second)))
		return &v
	}
	done := func(part int, w string, from, to float64) partRow {
		return partRow{part: part, series: 10, attempt: 1, state: rivertype.JobStateCompleted, started: at(from), ended: at(to), worker: w}
	}
	rows := []partRow{done(3, "w1", 40, 70), done(1, "w1", 0, 40), done(4, "w2", 50, 100), done(2, "w2", 0, 50)}
	f := buildFanOut(plan{Parts: 4, Series: 40, By: "cost"}, rows, time.Time{})
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("span", f.SpanSeconds, 100)
	near("tail", f.TailSeconds, 30)
	near("tail share", f.TailShare, 0.3)
	near("longest", f.LongestSeconds, 50)
	near("longest share", f.LongestShare, 0.5)
	if f.Live || f.AsOf != nil || f.PartitionsDone != 4 || f.PartitionsRunning != 0 || f.PartitionsQueued != 0 || len(f.Busy) != 2 {
		t.Fatalf("fan-out = %+v", f)
	}
	near("w1 busy", f.Busy[0].BusySeconds, 70)
	near("w2 busy", f.Busy[1].BusySeconds, 100)
	if f.Busy[0].Worker != "w1" || f.Busy[0].Partitions != 2 || !f.Busy[0].IdleFrom.Equal(*at(70)) || f.Timings[0].Part != 1 || f.Timings[3].Part != 4 {
		t.Errorf("busy %+v, timings %+v", f.Busy, f.Timings)
	}
	// One worker: no tail, however the partitions ran.
	one := buildFanOut(plan{Parts: 2, By: "series"}, []partRow{done(1, "w1", 0, 40), done(2, "w1", 40, 70)}, time.Time{})
	if one.TailSeconds != 0 || one.SpanSeconds != 70 {
		t.Errorf("one worker: tail %v span %v", one.TailSeconds, one.SpanSeconds)
	}
}

// TestFanOutLive: a running job's reading at 80 s. Part 1 done by w1
// (0-40 s); part 2 running on w2 since 10 s, its worker last beating at
// 55 s; part 3 queued. Nothing has a tail while a partition waits; once
// none does, w1 (its last partition ending at 42 s) gives a tail of
// 38 s at 80 s.
func TestFanOutLive(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(s float64) *time.Time {
		v := t0.Add(time.Duration(s * float64(time.Second)))
		return &v
	}
	rows := []partRow{
		{part: 1, series: 5, attempt: 1, state: rivertype.JobStateCompleted, started: at(0), ended: at(40), worker: "w1", done: 5},
		{part: 2, series: 6, attempt: 2, state: rivertype.JobStateRunning, started: at(10), worker: "w2", done: 3, lastBeat: at(55)},
		{part: 3, series: 7, state: rivertype.JobStateAvailable},
	}
	now := *at(80)
	f := buildFanOut(plan{Parts: 3, Series: 18, By: "cost"}, rows, now)
	if !f.Live || f.AsOf == nil || !f.AsOf.Equal(now) || f.PartitionsDone != 1 || f.PartitionsRunning != 1 || f.PartitionsQueued != 1 {
		t.Fatalf("live fan-out = %+v", f)
	}
	if len(f.Running) != 1 {
		t.Fatalf("running = %+v", f.Running)
	}
	r := f.Running[0]
	if r.Part != 2 || r.Worker != "w2" || r.Attempt != 2 || r.Seconds != 70 || r.Done != 3 || r.Series != 6 ||
		r.BeatAgeSeconds == nil || *r.BeatAgeSeconds != 25 || r.LastBeat == nil || !r.LastBeat.Equal(*at(55)) {
		t.Errorf("running = %+v", r)
	}
	if f.SpanSeconds != 80 || f.LongestSeconds != 70 || f.TailSeconds != 0 || len(f.Workers) != 2 {
		t.Errorf("span %v longest %v tail %v workers %v", f.SpanSeconds, f.LongestSeconds, f.TailSeconds, f.Workers)
	}
	if got := workerOfPart(f); got[1] != "w1" || got[2] != "w2" || len(got) != 2 {
		t.Errorf("worker of part = %v", got)
	}
	rows[2] = partRow{part: 3, series: 7, attempt: 1, state: rivertype.JobStateRunning, started: at(41), worker: "w1"}
	f = buildFanOut(plan{Parts: 3, Series: 18, By: "cost"}, rows, now)
	if f.TailSeconds != 0 {
		t.Errorf("both workers running: tail %v, want 0", f.TailSeconds)
	}
	rows[2] = partRow{part: 3, series: 7, attempt: 1, state: rivertype.JobStateCompleted, started: at(41), ended: at(42), worker: "w1"}
	f = buildFanOut(plan{Parts: 3, Series: 18, By: "cost"}, rows, now)
	if f.TailSeconds != 38 || f.TailShare != 38.0/80 {
		t.Errorf("w1 idle since 42 s at 80 s: tail %v (%v), want 38", f.TailSeconds, f.TailShare)
	}
	// A rescued partition waits for a worker: nothing runs, yet the job
	// has not ended, so its span runs to now.
	rows = rows[:1]
	rows = append(rows, partRow{part: 2, series: 6, attempt: 1, state: rivertype.JobStateAvailable})
	f = buildFanOut(plan{Parts: 2, Series: 11, By: "cost"}, rows, now)
	if f.SpanSeconds != 80 || f.PartitionsQueued != 1 || f.TailSeconds != 0 {
		t.Errorf("a partition queued at 80 s: span %v, queued %d, tail %v", f.SpanSeconds, f.PartitionsQueued, f.TailSeconds)
	}
}
