package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/memguard"
)

// WorkArgs is the River job that runs one forecastd job: the whole
// tournament (embedded mode) or, with fan-out, the parent that splits the
// job into partitions and publishes their results when all are done.
type WorkArgs struct {
	JobID string `json:"job_id"`
}

// Kind names the River job kind; it must match River's kind pattern.
func (WorkArgs) Kind() string { return "forecastd.job" }

type worker struct {
	river.WorkerDefaults[WorkArgs]
	q *Queue
}

// Timeout: a whole tournament over a large grid runs for many minutes;
// the guard's memory budget and cancellation bound it instead. A fan-out
// parent's wake lasts milliseconds, and a timeout lets River's rescuer
// (which ignores jobs without one) retry a parent whose worker died.
func (w *worker) Timeout(*river.Job[WorkArgs]) time.Duration {
	if w.q.cfg.FanOut {
		return w.q.cfg.RescueAfter
	}
	return -1
}

func (w *worker) Work(ctx context.Context, j *river.Job[WorkArgs]) error {
	if w.q.cfg.FanOut {
		return w.q.workParent(ctx, j)
	}
	// The label puts the worker's name on the job's memguard report.
	err := w.q.cfg.Runner.Execute(memguard.WithLabels(ctx, "worker", w.q.cfg.Name), j.Args.JobID)
	return w.q.riverResult(ctx, j.Args.JobID, j.Attempt, j.MaxAttempts, err)
}

// riverResult maps the outcome of running (part of) job id to what River
// should do with its River job.
func (q *Queue) riverResult(ctx context.Context, id string, attempt, maxAttempts int, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sqlstore.ErrJobCancelled):
		return river.JobCancel(err)
	case IsPermanent(err):
		// Recorded as failed in forecastd's table; retrying cannot help.
		return river.JobCancel(err)
	case ctx.Err() != nil:
		job, gerr := q.store.GetJob(context.WithoutCancel(ctx), id)
		if gerr == nil && job.State == sqlstore.JobCancelled {
			return river.JobCancel(ErrCancelled)
		}
		// Shutdown: River records the attempt and retries the job.
		return err
	default:
		if attempt >= maxAttempts {
			if ferr := q.store.FinishJob(context.WithoutCancel(ctx), id, sqlstore.JobFailed, err.Error(), nil); ferr != nil {
				return errors.Join(err, ferr)
			}
		}
		return err
	}
}

// QueueStore is the storage a Queue works on: the Runner's, plus job
// creation and the pool River shares (a job row and its River job are
// inserted in one transaction). *sqlstore.Store implements it.
type QueueStore interface {
	Store
	CreateJob(ctx context.Context, j *sqlstore.Job, enqueue func(tx *sql.Tx) (int64, error)) error
	DB() *sql.DB
}

// rollback undoes tx unless it was committed, adding a failure to *err:
// deferred after BeginTx, it ends every path that does not commit.
func rollback(tx *sql.Tx, err *error) {
	if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
		*err = errors.Join(*err, fmt.Errorf("jobs: rollback: %w", rerr))
	}
}

// Config configures a Queue.
type Config struct {
	Runner *Runner
	// Workers is how many jobs (or, with FanOut, partitions) this process
	// runs at once; default 1 (each already uses every core).
	Workers int
	// Work is false for a process that only enqueues (FORECASTD_WORKERS=0).
	Work   bool
	Logger *slog.Logger
	// MaxAttempts per job; default 5.
	MaxAttempts int

	// FanOut splits a job into partition jobs that any worker process may
	// run (the PostgreSQL default). Without it one worker runs the whole
	// job, as the embedded mode always has.
	FanOut bool
	// PartitionSize is the default number of series in a partition when
	// a job does not say; default 50.
	PartitionSize int
	// RescueAfter is how long a job may be running before River's leader
	// takes it for dead (a worker killed without a chance to requeue it)
	// and retries it elsewhere. A partition must finish well within it:
	// a live partition rescued early is run twice (harmless, as staging is
	// idempotent, but wasted). Default 30 minutes.
	RescueAfter time.Duration
	// PollInterval is how often the parent job looks at its partitions,
	// and River's fetch poll interval; default 1 s.
	PollInterval time.Duration
	// Name names this worker in logs, memguard reports and partition
	// outputs; default hostname-pid.
	Name string
	// BeatEvery is how often a working process over PostgreSQL records
	// that it is alive, and DeadAfter how long without a beat makes its
	// running partitions available to the others (heartbeat.go); defaults
	// DefaultBeatEvery and DefaultDeadAfter.
	BeatEvery, DeadAfter time.Duration
	// Schedules are the periodic jobs (cron) this process may fire when
	// it is River's leader; only working processes fire them.
	Schedules []Schedule
}

// prepare fills the defaults and parses the schedules.
func (c *Config) prepare() error {
	c.defaults()
	scheds := make([]Schedule, len(c.Schedules))
	copy(scheds, c.Schedules)
	seen := map[string]bool{}
	for i := range scheds {
		if seen[scheds[i].Name] {
			return fmt.Errorf("jobs: schedule %q configured twice", scheds[i].Name)
		}
		seen[scheds[i].Name] = true
		if err := scheds[i].parse(); err != nil {
			return err
		}
	}
	c.Schedules = scheds
	return nil
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PartitionSize <= 0 {
		c.PartitionSize = 50
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = 30 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.BeatEvery <= 0 {
		c.BeatEvery = DefaultBeatEvery
	}
	if c.DeadAfter <= 0 {
		c.DeadAfter = DefaultDeadAfter
	}
	if c.Name == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "forecastd" // the pid still tells processes apart on one host
		}
		c.Name = fmt.Sprintf("%s-%d", h, os.Getpid())
	}
}

// Queue is the River client with forecastd's workers. Both backends use
// a River driver whose transaction type is *sql.Tx, so the store's
// CreateJob transaction also carries the River insert.
type Queue struct {
	client *river.Client[*sql.Tx]
	// db is River's own pool in embedded mode (closed by Stop); nil on
	// PostgreSQL, where River shares the store's pool.
	db *sql.DB
	// listener is the pgx pool River LISTENs on (PostgreSQL only).
	listener *pgxpool.Pool
	store    QueueStore
	cfg      Config
	// completeTx completes a River job inside a store transaction; its
	// type parameter is the driver, so each backend sets its own.
	completeTx func(ctx context.Context, tx *sql.Tx, j *river.Job[ScheduleArgs]) error
	// stopBeats ends the heartbeat, and beatsDone is closed when it has
	// (heartbeat.go); nil without one.
	stopBeats context.CancelFunc
	beatsDone chan struct{}
}

// OpenSQLite opens River on the SQLite file at path (the store's file),
// runs River's migrations, and re-queues jobs that an earlier process left
// running: in embedded mode this process is the only worker, so a running
// job at start was interrupted by a crash and must be retried now rather
// than after River's stuck-job timeout.
func OpenSQLite(ctx context.Context, store QueueStore, path string, cfg Config) (*Queue, error) {
	if err := cfg.prepare(); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("jobs: open queue db: %w", err)
	}
	// The River driver for SQLite needs a single connection.
	db.SetMaxOpenConns(1)
	closeDB := func(err error) error {
		if cerr := db.Close(); cerr != nil {
			return errors.Join(err, fmt.Errorf("jobs: close queue db: %w", cerr))
		}
		return err
	}
	driver := riversqlite.New(db)
	if err := migrateRiver(ctx, driver, cfg.Logger); err != nil {
		return nil, closeDB(err)
	}
	if cfg.Work {
		if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = $1 WHERE state = 'running'`, time.Now().UTC()); err != nil {
			return nil, closeDB(fmt.Errorf("jobs: requeue interrupted jobs: %w", err))
		}
	}
	q := &Queue{db: db, store: store, cfg: cfg}
	q.completeTx = func(ctx context.Context, tx *sql.Tx, j *river.Job[ScheduleArgs]) error {
		_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, j)
		return err
	}
	if err := q.newClient(driver, 200*time.Millisecond); err != nil {
		return nil, closeDB(err)
	}
	return q, nil
}

// OpenPostgres opens River on the PostgreSQL database of store (at url).
// River uses the store's database/sql pool (riverdatabasesql), so a job
// row and its River job share one *sql.Tx, plus a small pgx pool that only
// LISTENs, so that workers hear about new jobs at once instead of polling.
// River's migrations run under an advisory lock: the API and the workers
// may start together.
func OpenPostgres(ctx context.Context, store QueueStore, url string, cfg Config) (*Queue, error) {
	if err := cfg.prepare(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("jobs: postgres url: %w", err)
	}
	pcfg.MinConns, pcfg.MaxConns = 0, 1
	listener, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: listener pool: %w", err)
	}
	driver := riverdatabasesql.NewWithPgxListener(store.DB(), listener)
	if err := migrateRiverLocked(ctx, store.DB(), driver, cfg.Logger); err != nil {
		listener.Close()
		return nil, err
	}
	if err := ensureWorkersTable(ctx, store.DB()); err != nil {
		listener.Close()
		return nil, err
	}
	q := &Queue{listener: listener, store: store, cfg: cfg}
	q.completeTx = func(ctx context.Context, tx *sql.Tx, j *river.Job[ScheduleArgs]) error {
		_, err := river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx, j)
		return err
	}
	if err := q.newClient(driver, cfg.PollInterval); err != nil {
		listener.Close()
		return nil, err
	}
	return q, nil
}

// completedRetention is how long River keeps completed jobs, and so the
// longest a partitioned job may run.
const completedRetention = 7 * 24 * time.Hour

// partitionQueue is the River queue of partition jobs. Parents stay in
// River's default queue (where jobs queued by earlier versions are) and
// are cheap: they only look at their partitions and snooze.
const partitionQueue = "forecastd_partitions"

func (q *Queue) newClient(driver riverdriver.Driver[*sql.Tx], poll time.Duration) error {
	cfg := q.cfg
	rc := &river.Config{Logger: quiet(cfg.Logger), MaxAttempts: cfg.MaxAttempts, JobTimeout: -1,
		RescueStuckJobsAfter: cfg.RescueAfter, ID: clientID(cfg.Name),
		// The parent counts its completed partitions; River's cleaner must
		// not delete them (default: after a day) while a job still runs.
		CompletedJobRetentionPeriod: completedRetention,
		FetchPollInterval:           poll, FetchCooldown: 50 * time.Millisecond}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &worker{q: q})
		river.AddWorker(workers, &partWorker{q: q})
		river.AddWorker(workers, &scheduleWorker{q: q})
		rc.Workers = workers
		parents := cfg.Workers
		if cfg.FanOut {
			parents = max(cfg.Workers, 4)
		}
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: parents},
			partitionQueue:     {MaxWorkers: cfg.Workers},
		}
		pj, err := q.periodicJobs()
		if err != nil {
			return err
		}
		rc.PeriodicJobs = pj
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return fmt.Errorf("jobs: river client: %w", err)
	}
	q.client = client
	return nil
}

// clientID makes a River client ID (unique per process) from the worker
// name; River limits its length and characters.
func clientID(name string) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name) && len(out) < 60; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		} else {
			out = append(out, '_')
		}
	}
	return string(out) + "_" + NewID()[:6]
}

func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	mig, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(log)})
	if err != nil {
		return fmt.Errorf("jobs: river migrator: %w", err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: river migrations: %w", err)
	}
	return nil
}

// riverMigrationLock is the advisory lock key held while River's
// migrations run on PostgreSQL (data uses its own key for the store's).
const riverMigrationLock = 0x7269766572 // "river"

func migrateRiverLocked(ctx context.Context, db *sql.DB, driver riverdriver.Driver[*sql.Tx], log *slog.Logger) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("jobs: river migrations: %w", err)
	}
	defer func() {
		if cerr := conn.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("jobs: river migrations: %w", cerr))
		}
	}()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(riverMigrationLock)); err != nil {
		return fmt.Errorf("jobs: river migrations: lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(riverMigrationLock)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("jobs: river migrations: unlock: %w", uerr))
		}
	}()
	return migrateRiver(ctx, driver, log)
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

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

// Start starts working jobs (when configured to).
func (q *Queue) Start(ctx context.Context) error {
	if !q.cfg.Work {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	if q.beats() {
		bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		q.stopBeats, q.beatsDone = cancel, make(chan struct{})
		go q.heartbeat(bctx, q.beatsDone)
	}
	return nil
}

// Stop cancels running jobs, which River then retries (here on the next
// start, or at once on another worker), and waits for the workers to
// return, up to ctx's deadline. It is idempotent and closes the queue's
// own connections (not the store's).
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.cfg.Work {
		err = q.client.StopAndCancel(ctx)
	}
	if q.stopBeats != nil {
		q.stopBeats()
		<-q.beatsDone
	}
	if q.db != nil {
		if cerr := q.db.Close(); cerr != nil && err == nil && !errors.Is(cerr, sql.ErrConnDone) {
			err = cerr
		}
	}
	if q.listener != nil {
		q.listener.Close()
	}
	return err
}

// Name is the worker name this queue reports.
func (q *Queue) Name() string { return q.cfg.Name }

// NewID returns a random job ID.
func NewID() string {
	var b [8]byte
	// crypto/rand.Read never returns an error: it crashes the program
	// rather than return less randomness.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Enqueue records a job and queues it in one transaction. p must have
// been validated (DecodeParams or Validate).
func (q *Queue) Enqueue(ctx context.Context, p Params, requestID string) (*Job, error) {
	return q.enqueue(ctx, p, requestID, nil)
}

// QueueFullError is EnqueueBounded's refusal: Limit jobs are queued or
// running already.
type QueueFullError struct {
	Limit int
}

func (e *QueueFullError) Error() string {
	return fmt.Sprintf("jobs: queue full: %d jobs queued or running, the limit", e.Limit)
}

// EnqueueBounded is Enqueue unless maxActive jobs are queued or running
// already, when it returns a *QueueFullError and records nothing. The
// count is taken inside the job's transaction, after its insert: on
// SQLite, where writers are serialised, the bound is exact; on
// PostgreSQL, concurrent requests may pass it by a few.
func (q *Queue) EnqueueBounded(ctx context.Context, p Params, requestID string, maxActive int) (*Job, error) {
	return q.enqueue(ctx, p, requestID, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state = $1 OR state = $2`,
			sqlstore.JobQueued, sqlstore.JobRunning).Scan(&n)
		if err != nil {
			return fmt.Errorf("jobs: count active jobs: %w", err)
		}
		if n > maxActive { // n counts this job
			return &QueueFullError{Limit: maxActive}
		}
		return nil
	})
}

// enqueue is Enqueue with a hook that runs inside the transaction (a
// scheduled fire completes its own River job there).
func (q *Queue) enqueue(ctx context.Context, p Params, requestID string, inTx func(tx *sql.Tx) error) (*Job, error) {
	rec, err := paramsRecord.Encode(&p)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	j := &sqlstore.Job{ID: NewID(), Kind: p.Kind.String(), Params: rec, RequestID: requestID}
	err = q.store.CreateJob(ctx, j, func(tx *sql.Tx) (int64, error) {
		res, err := q.client.InsertTx(ctx, tx, WorkArgs{JobID: j.ID}, nil)
		if err != nil {
			return 0, err
		}
		if inTx != nil {
			if err := inTx(tx); err != nil {
				return 0, err
			}
		}
		return res.Job.ID, nil
	})
	if err != nil {
		return nil, err
	}
	return &Job{ID: j.ID, Kind: p.Kind, State: j.State, Params: p, CreatedAt: j.CreatedAt, RequestID: requestID}, nil
}

// Cancel marks a job cancelled and stops it if it is running. It returns
// the job's state after the call; a finished job is left as it is. With
// fan-out, the parent cancels the partitions that have not finished.
func (q *Queue) Cancel(ctx context.Context, id string) (*Job, error) {
	j, err := q.store.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State != sqlstore.JobQueued && j.State != sqlstore.JobRunning {
		return DecodeJob(j)
	}
	if err := q.store.FinishJob(ctx, id, sqlstore.JobCancelled, "cancelled by request", nil); err != nil {
		return nil, err
	}
	if _, err := q.client.JobCancel(ctx, j.RiverID); err != nil && !errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("jobs: cancel %s: %w", id, err)
	}
	if err := q.cancelPartitions(ctx, id); err != nil {
		return nil, err
	}
	if j, err = q.store.GetJob(ctx, id); err != nil {
		return nil, err
	}
	return DecodeJob(j)
}
