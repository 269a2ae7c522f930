package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/forecastd/forecastd/data"
)

// WorkArgs is the River job that runs one forecastd job.
type WorkArgs struct {
	JobID string `json:"job_id"`
}

// Kind names the River job kind; it must match River's kind pattern.
func (WorkArgs) Kind() string { return "forecastd.job" }

type worker struct {
	river.WorkerDefaults[WorkArgs]
	runner *Runner
}

// Timeout: a tournament over a large grid runs for many minutes; the
// guard's memory budget and cancellation bound it instead.
func (w *worker) Timeout(*river.Job[WorkArgs]) time.Duration { return -1 }

func (w *worker) Work(ctx context.Context, j *river.Job[WorkArgs]) error {
	err := w.runner.Execute(ctx, j.Args.JobID)
	switch {
	case err == nil:
		return nil
	case IsPermanent(err):
		// Recorded as failed in forecastd's table; retrying cannot help.
		return river.JobCancel(err)
	case ctx.Err() != nil:
		job, gerr := w.runner.Store.GetJob(context.WithoutCancel(ctx), j.Args.JobID)
		if gerr == nil && job.State == data.JobCancelled {
			return river.JobCancel(ErrCancelled)
		}
		// Shutdown: River records the attempt and retries the job.
		return err
	default:
		if j.Attempt >= j.MaxAttempts {
			_ = w.runner.Store.FinishJob(context.WithoutCancel(ctx), j.Args.JobID, data.JobFailed, err.Error(), nil)
		}
		return err
	}
}

// Config configures a Queue.
type Config struct {
	// DBPath is the SQLite file River keeps its tables in (the same file
	// as the store's).
	DBPath string
	Runner *Runner
	// Workers is how many jobs run at once; default 1 (each job already
	// uses every core).
	Workers int
	// Work is false for a process that only enqueues (FORECASTD_WORKERS=0).
	Work   bool
	Logger *slog.Logger
	// MaxAttempts per job; default 5.
	MaxAttempts int
}

// Queue is the River client with forecastd's worker.
type Queue struct {
	client *river.Client[*sql.Tx]
	db     *sql.DB
	store  *data.Store
	cfg    Config
}

// OpenSQLite opens River on the SQLite file at cfg.DBPath, runs River's
// migrations, and re-queues jobs that an earlier process left running:
// in embedded mode this process is the only worker, so a running job at
// start was interrupted by a crash and must be retried now rather than
// after River's stuck-job timeout.
func OpenSQLite(ctx context.Context, store *data.Store, cfg Config) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	db, err := sql.Open("sqlite", data.SQLiteDSN(cfg.DBPath))
	if err != nil {
		return nil, fmt.Errorf("jobs: open queue db: %w", err)
	}
	// The River driver for SQLite needs a single connection.
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)
	mig, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(cfg.Logger)})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("jobs: river migrator: %w", err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		db.Close()
		return nil, fmt.Errorf("jobs: river migrations: %w", err)
	}
	if cfg.Work {
		if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = $1 WHERE state = 'running'`, time.Now().UTC()); err != nil {
			db.Close()
			return nil, fmt.Errorf("jobs: requeue interrupted jobs: %w", err)
		}
	}
	rc := &river.Config{Logger: quiet(cfg.Logger), MaxAttempts: cfg.MaxAttempts, JobTimeout: -1,
		FetchPollInterval: 200 * time.Millisecond, FetchCooldown: 50 * time.Millisecond}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &worker{runner: cfg.Runner})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return &Queue{client: client, db: db, store: store, cfg: cfg}, nil
}

// quiet keeps River's own info logs out of forecastd's log stream.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler { return levelFilter{f.Handler.WithGroup(n), f.min} }

// Start starts working jobs (when configured to).
func (q *Queue) Start(ctx context.Context) error {
	if !q.cfg.Work {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop cancels running jobs, which River then retries on the next start,
// and waits for the workers to return, up to ctx's deadline. It is
// idempotent and closes the queue's database.
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.cfg.Work {
		err = q.client.StopAndCancel(ctx)
	}
	if cerr := q.db.Close(); cerr != nil && err == nil && !errors.Is(cerr, sql.ErrConnDone) {
		err = cerr
	}
	return err
}

// NewID returns a random job ID.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Enqueue records a job and queues it in one transaction.
func (q *Queue) Enqueue(ctx context.Context, p Params, requestID string) (*data.Job, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("jobs: encode params: %w", err)
	}
	j := &data.Job{ID: NewID(), Kind: p.Kind, Params: raw, RequestID: requestID}
	err = q.store.CreateJob(ctx, j, func(tx *sql.Tx) (int64, error) {
		res, err := q.client.InsertTx(ctx, tx, WorkArgs{JobID: j.ID}, nil)
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// Cancel marks a job cancelled and stops it if it is running. It returns
// the job's state after the call; a finished job is left as it is.
func (q *Queue) Cancel(ctx context.Context, id string) (*data.Job, error) {
	j, err := q.store.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State != data.JobQueued && j.State != data.JobRunning {
		return j, nil
	}
	if err := q.store.FinishJob(ctx, id, data.JobCancelled, "cancelled by request", nil); err != nil {
		return nil, err
	}
	if _, err := q.client.JobCancel(ctx, j.RiverID); err != nil && !errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("jobs: cancel %s: %w", id, err)
	}
	return q.store.GetJob(ctx, id)
}
