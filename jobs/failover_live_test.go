package jobs_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
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

// TestLongPartitionNotRescuedByOthers: a partition that runs well past
// both the dead-after time and River's rescue timeout (startWorker's
// FORECASTD_RESCUE_AFTER=3s) on a worker that keeps beating is not taken
// by the other worker, which beats and rescues every 200 ms with a
// dead-after of 2 s. (TestLongPartitionNotRescued has one process, which
// never rescues its own.)
func TestLongPartitionNotRescuedByOthers(t *testing.T) {
	dbURL := newDatabase(t)
	o := demo.Options{Stores: 1, SKUs: 40, Days: 1095}
	const job = `{"horizon": 14, "top_k": 2, "partition_size": 40, "models": ["naive", "seasonal_naive", "ridge", "ses", "holt", "theta", "auto_ets", "holt_winters_add"]}`
	const deadAfter = 2 * time.Second
	srv := startServer(t, jobs.Backend{DatabaseURL: dbURL, BeatEvery: 200 * time.Millisecond, DeadAfter: deadAfter, RescueAfter: 3 * time.Second}, 1)
	srv.ingest(o)
	startWorker(t, dbURL, "w2", "FORECASTD_HEARTBEAT_EVERY=200ms", "FORECASTD_DEAD_AFTER=2s")
	db := openDB(t, dbURL)
	id := srv.postJob(job)
	j := srv.waitJob(id, 4*time.Minute, nil)
	var ran float64
	var attempt int
	var by string
	if err := db.QueryRow(`SELECT EXTRACT(EPOCH FROM finalized_at - attempted_at), attempt, metadata->'output'->>'worker' FROM river_job WHERE kind = $1`,
		jobs.PartArgs{}.Kind()).Scan(&ran, &attempt, &by); err != nil {
		t.Fatal(err)
	}
	t.Logf("the partition ran %.1fs on %s in attempt %d; message %q", ran, by, attempt, j.Error)
	if attempt != 1 || strings.Contains(j.Error, "re-run") {
		t.Fatalf("a partition whose worker kept beating was rescued: attempt %d, message %q", attempt, j.Error)
	}
	if ran < 2*deadAfter.Seconds() {
		t.Fatalf("the partition ran %.1fs: too short to show anything against a dead-after of %s", ran, deadAfter)
	}
	if d, err := jobs.DecodeJob(j); err != nil || d.Summary == nil || d.Summary.FanOut == nil || len(d.Summary.FanOut.Failovers) != 0 {
		t.Fatalf("job JSON: %+v (%v), want a fan_out with no failover", d, err)
	}
}
