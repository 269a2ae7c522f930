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
	j := apiSrv.waitJob(id, 6*time.Minute, func(*sqlstore.Job) {
		if !killedAt.IsZero() {
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
}
