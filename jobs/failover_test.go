package jobs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

// TestFailoverByHeartbeat (issue 20): two worker processes over
// PostgreSQL with the default rescue settings (FORECASTD_RESCUE_AFTER 30
// min, heartbeat every 5 s, dead after 20 s); w1 is SIGKILLed while it
// runs a partition. w2 takes the partition once w1's heartbeat is 20 s
// old, and the job finishes within 4 minutes of the kill with the
// forecasts of the single-process run; the job's message says which
// partition was re-run after which worker stopped. w2, which beats
// throughout, never loses a partition, however long its partitions run.
func TestFailoverByHeartbeat(t *testing.T) {
	dbURL := newDatabase(t)
	o := demo.Options{Stores: 2, SKUs: 8, Days: 730}
	const job = `{"horizon": 14, "top_k": 2, "partition_size": 4, "models": ["naive", "seasonal_naive", "ridge", "ses", "holt", "theta"]}`
	apiSrv := startServer(t, jobs.Backend{DatabaseURL: dbURL}, 0)
	keys := apiSrv.ingest(o)
	db := openDB(t, dbURL)
	defaults := "FORECASTD_RESCUE_AFTER=30m" // startWorker's 3 s, put back to the default
	w1 := startWorker(t, dbURL, "w1", defaults)
	startWorker(t, dbURL, "w2", defaults)
	want := reference(t, o, job)
	id := apiSrv.postJob(job)
	var killedAt time.Time
	watch := &liveWatch{s: apiSrv, id: id}
	j := apiSrv.waitJob(id, 6*time.Minute, func(*sqlstore.Job) {
		if !killedAt.IsZero() {
			watch.poll(t, "w1")
			return
		}
		var running int
		if err := db.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND state = 'running'
			AND attempted_by[array_length(attempted_by, 1)] LIKE 'w1%'`, jobs.PartArgs{}.Kind()).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			return
		}
		if err := w1.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := w1.cmd.Wait(); err == nil {
			t.Fatal("w1 exited cleanly after it was killed")
		}
		killedAt = time.Now()
		t.Logf("killed w1 mid-partition")
		logPartitions(t, db)
	})
	if killedAt.IsZero() {
		t.Fatal("the job finished before w1 could be killed mid-partition")
	}
	took := time.Since(killedAt)
	t.Logf("job finished %s after the kill; message: %s", took.Round(time.Second), j.Error)
	watch.check(t, "w1", jobs.DefaultDeadAfter)
	if took > 4*time.Minute {
		t.Errorf("job finished %s after the kill, want within 4 minutes", took.Round(time.Second))
	}
	if !strings.Contains(j.Error, "re-run") || !strings.Contains(j.Error, "after worker w1 (no heartbeat for") {
		t.Errorf("job message %q does not say which partition was re-run after w1 stopped", j.Error)
	}
	// Only w1's partitions were rescued, and each once it was silent for
	// the dead-after time, not before.
	rows, err := db.Query(`SELECT e->>'error' FROM river_job, unnest(errors) AS e WHERE kind = $1`, jobs.PartArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer check(t, rows.Close)
	rescues := 0
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg, "stopped beating") {
			continue
		}
		rescues++
		if !strings.Contains(msg, "stopped beating: w1 (") {
			t.Errorf("a partition of a live worker was rescued: %s", msg)
		}
	}
	if rescues == 0 {
		t.Error("no partition was rescued by heartbeat")
	}
	var longest float64
	if err := db.QueryRow(`SELECT COALESCE(MAX(EXTRACT(EPOCH FROM finalized_at - attempted_at)), 0) FROM river_job
		WHERE kind = $1 AND state = 'completed' AND metadata->'output'->>'worker' = 'w2'`, jobs.PartArgs{}.Kind()).Scan(&longest); err != nil {
		t.Fatal(err)
	}
	t.Logf("w2's longest partition ran %.0fs (dead-after is %s)", longest, jobs.DefaultDeadAfter)
	sameForecasts(t, apiSrv.forecasts(keys, id), want)
	checkFailovers(t, j, rescues, killedAt)
}

// checkFailovers: the job JSON lists each rescue as a structured
// failover: w1's partition, detected once w1 was silent for the
// dead-after time, retaken by w2, with the attempt's lost time.
func checkFailovers(t *testing.T, row *sqlstore.Job, rescues int, killedAt time.Time) {
	t.Helper()
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	if j.Summary == nil || j.Summary.FanOut == nil {
		t.Fatalf("job summary has no fan_out: %+v", j.Summary)
	}
	fo := j.Summary.FanOut.Failovers
	if len(fo) != rescues {
		t.Fatalf("failovers %+v, want the %d rescues", fo, rescues)
	}
	for _, f := range fo {
		t.Logf("failover: %+v (last beat %s)", f, f.LastBeat)
		if f.Worker != "w1" || f.RetakenBy != "w2" || f.Part < 1 || f.LastBeat == nil {
			t.Errorf("failover %+v: want w1's partition retaken by w2", f)
			continue
		}
		silent := f.DetectedAt.Sub(*f.LastBeat)
		// The database's clock and the test's agree to well under a second here.
		if silent < jobs.DefaultDeadAfter || f.DetectedAt.Before(killedAt) || f.LastBeat.After(killedAt.Add(time.Second)) {
			t.Errorf("failover %+v: detected %s after w1's last beat (want at least %s), killed at %s", f, silent, jobs.DefaultDeadAfter, killedAt)
		}
		// The lost attempt started before the kill (it was running).
		if started := f.DetectedAt.Add(-time.Duration(f.LostSeconds * float64(time.Second))); f.LostSeconds <= 0 || started.After(killedAt.Add(time.Second)) {
			t.Errorf("failover %+v: lost %.1fs, so started at %s, after the kill at %s", f, f.LostSeconds, started, killedAt)
		}
	}
}

// TestLongPartitionNotRescued: a partition that runs many times the
// dead-after time on a worker that keeps beating is never taken from it.
// The API process works the partitions itself, with a heartbeat every
// 100 ms and dead-after 500 ms; its one partition runs for seconds.
func TestLongPartitionNotRescued(t *testing.T) {
	dbURL := newDatabase(t)
	o := demo.Options{Stores: 1, SKUs: 30, Days: 1095}
	const job = `{"horizon": 14, "top_k": 2, "partition_size": 30, "models": ["naive", "seasonal_naive", "ridge", "ses", "holt", "theta", "auto_ets", "holt_winters_add"]}`
	srv := startServer(t, jobs.Backend{DatabaseURL: dbURL, BeatEvery: 100 * time.Millisecond, DeadAfter: 500 * time.Millisecond}, 1)
	srv.ingest(o)
	db := openDB(t, dbURL)
	id := srv.postJob(job)
	j := srv.waitJob(id, 3*time.Minute, nil)
	var ran float64
	var attempt int
	if err := db.QueryRow(`SELECT EXTRACT(EPOCH FROM finalized_at - attempted_at), attempt FROM river_job WHERE kind = $1`,
		jobs.PartArgs{}.Kind()).Scan(&ran, &attempt); err != nil {
		t.Fatal(err)
	}
	t.Logf("the partition ran %.1fs in attempt %d; message %q", ran, attempt, j.Error)
	if attempt != 1 || strings.Contains(j.Error, "re-run") {
		t.Fatalf("a partition whose worker kept beating was rescued: attempt %d, message %q", attempt, j.Error)
	}
	if ran < 2 {
		t.Fatalf("the partition ran %.1fs: too short to show anything against a dead-after of 0.5s", ran)
	}
	if d, err := jobs.DecodeJob(j); err != nil || d.Summary == nil || d.Summary.FanOut == nil || len(d.Summary.FanOut.Failovers) != 0 {
		t.Fatalf("job JSON: %+v (%v), want a fan_out with no failover", d, err)
	}
}
