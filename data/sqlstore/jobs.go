package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Job states.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// ErrJobCancelled is returned by StartJob for a job cancelled before it
// started.
var ErrJobCancelled = errors.New("data: job cancelled")

// Job is the stored row of a training (or refresh) job. Params, Memory
// and Phases are records its writer encoded (package jobs/record); the
// store keeps them as they are.
type Job struct {
	ID          string
	Kind        string
	State       string
	Params      []byte
	Progress    float64
	SeriesTotal int
	SeriesDone  int
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	Error       string
	// ETASeconds estimates the time left of a running job from its
	// progress so far.
	ETASeconds *float64
	// Memory is the memguard summary; nil until the job has run.
	Memory []byte
	// Phases holds the seconds spent loading, training and publishing;
	// nil until the job has succeeded.
	Phases []byte
	// Summary counts the series the job trained, excluded and failed,
	// with warnings naming them; nil until the job has loaded its series.
	Summary   []byte
	RequestID string
	RiverID   int64
}

// CreateJob inserts j (state queued) and calls enqueue inside the same
// transaction, so a job row exists exactly when its queue entry does.
// enqueue returns the queue's job ID.
func (s *Store) CreateJob(ctx context.Context, j *Job, enqueue func(tx *sql.Tx) (int64, error)) error {
	j.State = JobQueued
	if j.CreatedAt.IsZero() {
		j.CreatedAt = time.Now().UTC()
	}
	return inTx(ctx, s.db, "create job", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, kind, state, params, created_at, request_id) VALUES ($1, $2, $3, $4, $5, $6)`,
			j.ID, j.Kind, j.State, string(j.Params), j.CreatedAt.UnixMilli(), j.RequestID); err != nil {
			return fmt.Errorf("data: create job: %w", err)
		}
		if enqueue == nil {
			return nil
		}
		rid, err := enqueue(tx)
		if err != nil {
			return fmt.Errorf("data: enqueue job: %w", err)
		}
		j.RiverID = rid
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET river_id = $1 WHERE id = $2`, rid, j.ID); err != nil {
			return fmt.Errorf("data: create job: %w", err)
		}
		return nil
	})
}

const jobCols = `id, kind, state, params, progress, series_total, series_done, created_at, started_at, finished_at, error, memory, request_id, river_id, phases, summary`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var params string
	var created int64
	var started, finished sql.NullInt64
	var memory, phases, summary sql.NullString
	if err := row.Scan(&j.ID, &j.Kind, &j.State, &params, &j.Progress, &j.SeriesTotal, &j.SeriesDone,
		&created, &started, &finished, &j.Error, &memory, &j.RequestID, &j.RiverID, &phases, &summary); err != nil {
		return nil, err
	}
	j.Params = []byte(params)
	j.CreatedAt = time.UnixMilli(created).UTC()
	if started.Valid {
		t := time.UnixMilli(started.Int64).UTC()
		j.StartedAt = &t
	}
	if finished.Valid {
		t := time.UnixMilli(finished.Int64).UTC()
		j.FinishedAt = &t
	}
	if memory.Valid && memory.String != "" {
		j.Memory = []byte(memory.String)
	}
	if phases.Valid && phases.String != "" {
		j.Phases = []byte(phases.String)
	}
	if summary.Valid && summary.String != "" {
		j.Summary = []byte(summary.String)
	}
	if j.State == JobRunning && j.StartedAt != nil && j.Progress > 0 && j.Progress < 1 {
		el := time.Since(*j.StartedAt).Seconds()
		eta := el * (1 - j.Progress) / j.Progress
		j.ETASeconds = &eta
	}
	return &j, nil
}

// GetJob returns the job with id, or ErrNotFound.
func (s *Store) GetJob(ctx context.Context, id string) (*Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("data: get job: %w", err)
	}
	return j, nil
}

// ListJobs returns up to limit jobs created before the cursor (a job ID;
// empty for the newest), newest first, optionally in one state.
func (s *Store) ListJobs(ctx context.Context, state, before string, limit int) (_ []*Job, err error) {
	beforeTS, beforeID, err := pageFrom(before, func() (time.Time, error) {
		j, err := s.GetJob(ctx, before)
		if err != nil {
			return time.Time{}, err
		}
		return j.CreatedAt, nil
	})
	if err != nil {
		return nil, err
	}
	return queryList(ctx, s.db, "list jobs", func(rows *sql.Rows) (*Job, error) { return scanJob(rows) },
		`SELECT `+jobCols+` FROM jobs
		WHERE (created_at < $1 OR (created_at = $1 AND id < $2)) AND ($3 = '' OR state = $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, beforeTS, beforeID, state, limit)
}

// StartJob marks a job running with the number of series it will train,
// and clears the staged results of an earlier attempt.
func (s *Store) StartJob(ctx context.Context, id string, total int) error {
	return inTx(ctx, s.db, "start job", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM staged_results WHERE job_id = $1`, id); err != nil {
			return fmt.Errorf("data: start job: %w", err)
		}
		// A job cancelled while it waited in the queue must not come back to
		// life when a worker picks it up.
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, started_at = $2, series_total = $3, series_done = 0, progress = 0, error = '' WHERE id = $4 AND state <> 'cancelled'`,
			JobRunning, time.Now().UnixMilli(), total, id)
		if err != nil {
			return fmt.Errorf("data: start job: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("job %s: %w", id, ErrJobCancelled)
		}
		return nil
	})
}

// JobPhases records how long a job's phases took (an encoded record).
func (s *Store) JobPhases(ctx context.Context, id string, phases []byte) error {
	_, err := s.exec(ctx, "job phases", `UPDATE jobs SET phases = $1 WHERE id = $2`, string(phases), id)
	return err
}

// JobSummary records what a job did with its series (an encoded record).
func (s *Store) JobSummary(ctx context.Context, id string, summary []byte) error {
	_, err := s.exec(ctx, "job summary", `UPDATE jobs SET summary = $1 WHERE id = $2`, string(summary), id)
	return err
}

// JobProgress records how many series are done.
func (s *Store) JobProgress(ctx context.Context, id string, done, total int) error {
	p := 0.0
	if total > 0 {
		p = float64(done) / float64(total)
	}
	_, err := s.exec(ctx, "job progress", `UPDATE jobs SET series_done = $1, series_total = $2, progress = $3 WHERE id = $4`, done, total, p, id)
	return err
}

// FinishJob records a final (or, for a retry, queued) state, the error
// text and the memory summary (an encoded record; nil keeps the one
// recorded). It never changes a cancelled job's state.
func (s *Store) FinishJob(ctx context.Context, id, state, errText string, memory []byte) error {
	var mem any
	if len(memory) > 0 {
		mem = string(memory)
	}
	var finished any
	if state != JobQueued {
		finished = time.Now().UnixMilli()
	}
	// A cancelled job stays cancelled: the worker that notices the
	// cancellation only adds its memory report.
	_, err := s.exec(ctx, "finish job", `UPDATE jobs SET
		state = CASE WHEN state = 'cancelled' THEN state ELSE $1 END,
		error = CASE WHEN state = 'cancelled' THEN error ELSE $2 END,
		finished_at = CASE WHEN state = 'cancelled' THEN finished_at ELSE $4 END,
		memory = COALESCE($3, memory)
		WHERE id = $5`,
		state, errText, mem, finished, id)
	return err
}

// StageResult stores the result of one series of a running job: body is
// the encoded result the API serves, models the encoded kept models (read
// only by a refresh). It is not visible until PublishResults; staging it again
// replaces it, so a retried partition is idempotent.
func (s *Store) StageResult(ctx context.Context, jobID string, k data.Key, body, models []byte) error {
	_, err := s.exec(ctx, "stage result "+k.String(), `INSERT INTO staged_results (job_id, store, sku, body, models) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (job_id, store, sku) DO UPDATE SET body = excluded.body, models = excluded.models`, jobID, k.Store, k.SKU, string(body), string(models))
	return err
}

// PublishResults makes every staged result of a job visible at once,
// replacing the previous results of those series, in one transaction:
// readers see the old complete set or the new one, never a mix.
func (s *Store) PublishResults(ctx context.Context, jobID string, at time.Time) (int64, error) {
	var n int64
	err := inTx(ctx, s.db, "publish", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO results (store, sku, job_id, generated_at, body, models)
		SELECT store, sku, job_id, $1, body, models FROM staged_results WHERE job_id = $2
		ON CONFLICT (store, sku) DO UPDATE SET job_id = excluded.job_id, generated_at = excluded.generated_at, body = excluded.body, models = excluded.models`,
			at.UnixMilli(), jobID)
		if err != nil {
			return fmt.Errorf("data: publish: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("data: publish: %w", err)
		}
		if err := s.publishVintages(ctx, tx, jobID, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staged_results WHERE job_id = $1`, jobID); err != nil {
			return fmt.Errorf("data: publish: %w", err)
		}
		return nil
	})
	return n, err
}

// Result is a published forecast result of one series; Body and Models
// are the records StageResult was given.
type Result struct {
	Key         data.Key
	JobID       string
	GeneratedAt time.Time
	Body        []byte
	// Models is filled only by ListResults and GetResultModels.
	Models []byte
}

// GetResult returns the published result of a series, or ErrNotFound.
func (s *Store) GetResult(ctx context.Context, k data.Key) (*Result, error) {
	r := Result{Key: k}
	var at int64
	var body string
	err := s.db.QueryRowContext(ctx, `SELECT job_id, generated_at, body FROM results WHERE store = $1 AND sku = $2`, k.Store, k.SKU).
		Scan(&r.JobID, &at, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("forecast for %s: %w", k, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("data: get result: %w", err)
	}
	r.GeneratedAt = time.UnixMilli(at).UTC()
	r.Body = []byte(body)
	return &r, nil
}

// GetResultModels returns the published result of a series with its
// kept models (Models filled), for the reads that re-run them (explain,
// scenarios), or ErrNotFound.
func (s *Store) GetResultModels(ctx context.Context, k data.Key) (*Result, error) {
	r := Result{Key: k}
	var at int64
	var body, models string
	err := s.db.QueryRowContext(ctx, `SELECT job_id, generated_at, body, models FROM results WHERE store = $1 AND sku = $2`, k.Store, k.SKU).
		Scan(&r.JobID, &at, &body, &models)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("forecast for %s: %w", k, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("data: get result models: %w", err)
	}
	r.GeneratedAt = time.UnixMilli(at).UTC()
	r.Body, r.Models = []byte(body), []byte(models)
	return &r, nil
}

// ListResults streams every published result to fn (for refresh jobs).
func (s *Store) ListResults(ctx context.Context, fn func(*Result) error) (err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT store, sku, job_id, generated_at, body, models FROM results ORDER BY store, sku`)
	if err != nil {
		return fmt.Errorf("data: list results: %w", err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var r Result
		var at int64
		var body, models string
		if err := rows.Scan(&r.Key.Store, &r.Key.SKU, &r.JobID, &at, &body, &models); err != nil {
			return fmt.Errorf("data: list results: %w", err)
		}
		r.GeneratedAt = time.UnixMilli(at).UTC()
		r.Body, r.Models = []byte(body), []byte(models)
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rollback undoes tx unless it was committed, adding a failure to *err:
// deferred after BeginTx, it ends every path that does not commit.
func rollback(tx *sql.Tx, err *error) {
	if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
		*err = errors.Join(*err, fmt.Errorf("data: rollback: %w", rerr))
	}
}

// closeRows closes rows, adding a failure to *err.
func closeRows(rows *sql.Rows, err *error) {
	if cerr := rows.Close(); cerr != nil {
		*err = errors.Join(*err, fmt.Errorf("data: close rows: %w", cerr))
	}
}

// queryList runs query and returns every row as scan reads it: the one
// loop of the package's list reads. what names the read in its errors.
func queryList[T any](ctx context.Context, db *sql.DB, what string, scan func(*sql.Rows) (T, error), query string, args ...any) (_ []T, err error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", what, err)
	}
	defer closeRows(rows, &err)
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("data: %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// pageFrom turns a page cursor (the ID of the last row of the previous
// page; empty for the first page) into the (milliseconds, ID) key that
// the next page starts below, reading the cursor row's time with at.
func pageFrom(before string, at func() (time.Time, error)) (int64, string, error) {
	if before == "" {
		return 1<<62 - 1, "", nil
	}
	t, err := at()
	if err != nil {
		return 0, "", err
	}
	return t.UnixMilli(), before, nil
}
