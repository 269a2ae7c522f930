package jobs_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/forecastd/forecastd/jobs"
)

// liveWatch reads a running job's JSON the way a user watching it does
// (GET /v1/jobs/{id}) and keeps what its live fan_out showed after a
// worker was killed: the killed worker's partition still running with an
// ageing heartbeat, then the failover, while the job still runs.
type liveWatch struct {
	s    *server
	id   string
	last time.Time
	// running is the first reading that showed the dead worker's
	// partition running; failover the first that listed its failover,
	// read at seen.
	running, failover *jobs.FanOut
	seen              time.Time
	polls             int
}

// poll reads the job at most every 200 ms.
func (w *liveWatch) poll(t *testing.T, dead string) {
	t.Helper()
	if time.Since(w.last) < 200*time.Millisecond || w.failover != nil {
		return
	}
	w.last = time.Now()
	resp, err := http.Get(w.s.base + "/v1/jobs/" + w.id)
	if err != nil {
		t.Fatal(err)
	}
	defer check(t, resp.Body.Close)
	var j jobs.Job
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET job: %d %v", resp.StatusCode, err)
	}
	if j.State != "running" {
		return
	}
	w.polls++
	f := j.FanOut
	if f == nil || !f.Live || f.AsOf == nil || f.Partitions == 0 || f.PartitionsDone+f.PartitionsRunning+f.PartitionsQueued+f.PartitionsFailed != f.Partitions {
		t.Fatalf("running job's live fan_out = %+v", f)
	}
	if len(f.Failovers) > 0 {
		w.failover, w.seen = f, time.Now()
		return
	}
	for _, r := range f.Running {
		if r.Worker == dead && w.running == nil {
			w.running = f
		}
	}
}

// check: the live JSON showed the dead worker's partition running, then
// its failover within a couple of seconds of its detection, before the
// job ended; it logs both readings, trimmed.
func (w *liveWatch) check(t *testing.T, dead string, deadAfter time.Duration) {
	t.Helper()
	trim := func(f *jobs.FanOut) string {
		c := *f
		c.Timings, c.TimingsOmitted = nil, len(f.Timings)
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if w.running == nil {
		t.Errorf("no live reading (of %d) showed %s's partition running after the kill", w.polls, dead)
	} else {
		t.Logf("live fan_out after the kill (timings left out): %s", trim(w.running))
		for _, r := range w.running.Running {
			if r.Worker == dead && (r.LastBeat == nil || r.BeatAgeSeconds == nil) {
				t.Errorf("running partition %+v: no heartbeat shown", r)
			}
		}
	}
	if w.failover == nil {
		t.Fatalf("no live reading (of %d) showed the failover while the job ran", w.polls)
	}
	t.Logf("live fan_out once the failover was detected (timings left out): %s", trim(w.failover))
	for _, f := range w.failover.Failovers {
		if f.Worker != dead || f.LastBeat == nil || f.DetectedAt.Sub(*f.LastBeat) < deadAfter {
			t.Errorf("live failover %+v: want %s's, detected at least %s after its last beat", f, dead, deadAfter)
		}
		// Polled every 200 ms; the database's clock and the test's agree
		// to well under a second here.
		if lag := w.seen.Sub(f.DetectedAt); lag > 3*time.Second {
			t.Errorf("live failover %+v shown %s after its detection", f, lag)
		}
	}
}
