package jobs

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestBeatingPartitionHasNoRescueTimeout: River's rescuer takes a
// running job only once it has run past its worker's timeout, and never
// one whose timeout is negative (river internal/maintenance/job_rescuer.go:
// "timeout < 0 ... jobRetryDecisionIgnore"). So over PostgreSQL, where
// workers beat, a partition has no timeout: however far past
// RescueAfter it runs on a worker that beats, River leaves it, and only
// a heartbeat rescue (its worker silent for DeadAfter:
// TestLongPartitionNotRescued runs one many times DeadAfter) takes it.
// Without heartbeats (SQLite) RescueAfter is the timeout.
func TestBeatingPartitionHasNoRescueTimeout(t *testing.T) {
	cfg := Config{Work: true, FanOut: true, RescueAfter: time.Second}
	cfg.defaults()
	beating := &Queue{cfg: cfg, listener: &pgxpool.Pool{}}
	if !beating.beats() {
		t.Fatal("a working queue over PostgreSQL does not beat")
	}
	if got := (&partWorker{q: beating}).Timeout(nil); got >= 0 {
		t.Errorf("partition timeout on a beating worker = %s, want negative (never rescued by River)", got)
	}
	alone := &Queue{cfg: cfg}
	if alone.beats() {
		t.Fatal("a queue without PostgreSQL beats")
	}
	if got := (&partWorker{q: alone}).Timeout(nil); got != time.Second {
		t.Errorf("partition timeout without heartbeats = %s, want RescueAfter", got)
	}
	if (&Queue{cfg: Config{FanOut: true}, listener: &pgxpool.Pool{}}).beats() {
		t.Error("a queue that does not work beats")
	}
}
