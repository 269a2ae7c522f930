package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// Heartbeats (issue 20): over PostgreSQL every working process records
// itself in forecastd_workers and refreshes its last_beat every BeatEvery.
// At each beat it also rescues: a running forecastd job (a partition, a
// parent in the middle of a wake, or a whole job) whose worker has not
// beaten for DeadAfter is made available again at once, with an error on
// its River job naming the worker, and a live worker takes it. A job
// whose worker still beats is never rescued however long it runs, so
// partitions have no timeout and River's own rescuer (RescueAfter) is
// left for workers that never beat, such as an older version's. Times are
// the database's (now()), so the workers' clocks do not matter, and the
// rescue is one UPDATE, so workers rescuing together rescue a job once.

// Heartbeat defaults: a killed worker's partition is available again
// within DeadAfter plus a parent's wake (about 20 s), well under a minute.
const (
	DefaultBeatEvery = 5 * time.Second
	DefaultDeadAfter = 20 * time.Second
)

// rescueMark starts the error a heartbeat rescue records on the
// partition's River job; the parent finds its rescues by it. The error
// object also carries worker, last_beat and started_at (the lost
// attempt's start), which River ignores and failovers reads.
const rescueMark = "forecastd: worker stopped beating: "

// workersTableLock is the advisory lock key held while the workers table
// is created, so processes starting together do not race on the DDL.
const workersTableLock = 0x6265617473 // "beats"

// ensureWorkersTable creates forecastd_workers if it is missing.
func ensureWorkersTable(ctx context.Context, db *sql.DB) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("jobs: workers table: %w", err)
	}
	defer rollback(tx, &err)
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(workersTableLock)); err != nil {
		return fmt.Errorf("jobs: workers table: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS forecastd_workers (
		client_id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		started_at TIMESTAMPTZ NOT NULL,
		last_beat TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("jobs: workers table: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("jobs: workers table: %w", err)
	}
	return nil
}

// beats reports whether this queue heartbeats and rescues by heartbeat:
// a working queue over PostgreSQL (the only backend with several worker
// processes).
func (q *Queue) beats() bool { return q.cfg.Work && q.listener != nil }

// beat records that this process is alive.
func (q *Queue) beat(ctx context.Context) error {
	_, err := q.store.DB().ExecContext(ctx, `INSERT INTO forecastd_workers (client_id, name, started_at, last_beat)
		VALUES ($1, $2, now(), now()) ON CONFLICT (client_id) DO UPDATE SET last_beat = now()`, q.client.ID(), q.cfg.Name)
	if err != nil {
		return fmt.Errorf("jobs: heartbeat: %w", err)
	}
	return nil
}

// heartbeat beats, and rescues the jobs of dead workers, every BeatEvery
// until ctx ends, then removes this process's row: a worker that stops cleanly cancels its partitions,
// which River retries at once. It also forgets workers dead for a day.
func (q *Queue) heartbeat(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(q.cfg.BeatEvery)
	defer tick.Stop()
	for {
		if err := q.beat(ctx); err != nil && ctx.Err() == nil {
			q.cfg.Logger.Warn("heartbeat not recorded", "worker", q.cfg.Name, "err", err)
		} else if err := q.rescueDead(ctx); err != nil && ctx.Err() == nil {
			q.cfg.Logger.Warn("rescue of dead workers' jobs failed", "worker", q.cfg.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			bg := context.WithoutCancel(ctx)
			if _, err := q.store.DB().ExecContext(bg, `DELETE FROM forecastd_workers WHERE client_id = $1 OR last_beat < now() - interval '1 day'`, q.client.ID()); err != nil {
				q.cfg.Logger.Warn("heartbeat row not removed", "worker", q.cfg.Name, "err", err)
			}
			return
		case <-tick.C:
		}
	}
}

// rescueDead makes the running forecastd jobs whose worker stopped
// beating available again, and logs each. It never takes this process's
// own jobs: the process rescuing is alive, whatever its row says. (Under
// load a beat's commit can take longer than a short DeadAfter, and a
// lone worker then took its own running partition for a dead one's.)
func (q *Queue) rescueDead(ctx context.Context) error {
	rows, err := q.store.DB().QueryContext(ctx, `UPDATE river_job j SET state = 'available', scheduled_at = now(),
		errors = array_append(j.errors, jsonb_build_object('at', now(), 'attempt', j.attempt, 'trace', '',
			'error', $1 || w.name || ' (no heartbeat for ' || round(EXTRACT(EPOCH FROM now() - w.last_beat))::text || 's)',
			'worker', w.name, 'last_beat', w.last_beat, 'started_at', j.attempted_at))
		FROM forecastd_workers w
		WHERE j.state = 'running' AND j.kind = ANY($2::text[])
			AND w.client_id = j.attempted_by[array_length(j.attempted_by, 1)]
			AND w.last_beat < now() - make_interval(secs => $3::float8) AND w.client_id <> $4
		RETURNING j.id, j.kind, w.name, j.args`,
		rescueMark, "{"+PartArgs{}.Kind()+","+WorkArgs{}.Kind()+"}", q.cfg.DeadAfter.Seconds(), q.client.ID())
	if err != nil {
		return fmt.Errorf("jobs: rescue: %w", err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	for rows.Next() {
		var id int64
		var kind, name string
		var args []byte
		if err := rows.Scan(&id, &kind, &name, &args); err != nil {
			return fmt.Errorf("jobs: rescue: %w", err)
		}
		var a PartArgs               // the job ID of either kind; the part of a partition
		_ = json.Unmarshal(args, &a) // only for the log line
		q.cfg.Logger.Warn("job rescued: its worker stopped beating", "river_id", id, "kind", kind, "job_id", a.JobID,
			"part", a.Part+1, "parts", a.Parts, "dead_worker", name, "worker", q.cfg.Name)
	}
	return rows.Err()
}

// rescueNotes says, for the job's message, which partitions were re-run
// because their worker stopped beating.
func rescueNotes(rows []*rivertype.JobRow) string {
	var notes []string
	for _, row := range rows {
		for _, e := range row.Errors {
			if !strings.HasPrefix(e.Error, rescueMark) {
				continue
			}
			var a PartArgs
			if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
				continue
			}
			notes = append(notes, fmt.Sprintf("partition %d/%d re-run from %s after worker %s stopped",
				a.Part+1, a.Parts, e.At.UTC().Format(time.RFC3339), strings.TrimPrefix(e.Error, rescueMark)))
		}
	}
	return strings.Join(notes, "; ")
}
