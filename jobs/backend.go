package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// Backend selects where forecastd keeps its data and queue, and how jobs
// are split and scheduled. The same options configure `forecastd serve`
// and `forecastd worker`, so that all replicas agree. The values are
// typed and already validated: internal/app fills them from flags and the
// environment.
type Backend struct {
	// DatabaseURL, when set (postgres://...), selects PostgreSQL for the
	// store and River; empty means the embedded SQLite file in the data
	// directory.
	DatabaseURL string
	// FanOut splits training jobs into partitions that all workers share;
	// default (nil) on with PostgreSQL, off (the single-process path) with
	// SQLite.
	FanOut *bool
	// PartitionSize is the default number of series per partition.
	PartitionSize int
	// RescueAfter is how long a running partition may go before it is
	// taken for dead and retried on another worker, when its worker does
	// not heartbeat (over PostgreSQL workers do, and BeatEvery and
	// DeadAfter decide instead).
	RescueAfter time.Duration
	// BeatEvery and DeadAfter are the heartbeat's period and how long
	// without a beat makes a worker's partitions available to the others
	// (heartbeat.go); zero means DefaultBeatEvery and DefaultDeadAfter.
	BeatEvery, DeadAfter time.Duration
	// WorkerName names this process in reports; default hostname-pid.
	WorkerName string
	// RetrainCron and RefreshCron schedule the full tournament and the
	// refresh (5-field cron, UTC); empty means not scheduled.
	RetrainCron string
	RefreshCron string
	// ScheduleHorizon is the horizon of scheduled jobs; default 28.
	ScheduleHorizon int
	// ScheduleModels restricts the candidates of scheduled training jobs;
	// empty means the registry's default set.
	ScheduleModels []string
	// VintageRetention is how many published forecasts (vintages) each
	// series keeps for as_of reads and accuracy; 0 means
	// sqlstore.DefaultVintageRetention.
	VintageRetention int
	// RetrainOnDrift queues a training job for the series found drifting
	// when their actuals arrive (jobs/accuracy.go).
	RetrainOnDrift bool
}

// ParseCron reports whether expr is a cron expression a Schedule accepts
// (robfig/cron/v3's ParseStandard), so that configuration can refuse a
// bad one at startup, naming where it came from.
func ParseCron(expr string) error {
	_, err := cron.ParseStandard(expr)
	return err
}

// Schedules builds the configured schedules.
func (b Backend) Schedules() []Schedule {
	h := b.ScheduleHorizon
	if h <= 0 {
		h = 28
	}
	var out []Schedule
	if b.RetrainCron != "" {
		out = append(out, Schedule{Name: "retrain", Cron: b.RetrainCron, Params: Params{Kind: KindTrain, Horizon: h, Models: b.ScheduleModels}})
	}
	if b.RefreshCron != "" {
		out = append(out, Schedule{Name: "refresh", Cron: b.RefreshCron, Params: Params{Kind: KindRefresh, Horizon: h}})
	}
	return out
}

// Open opens the store and the job queue the options select: PostgreSQL
// at DatabaseURL, or the SQLite file forecastd.db in dataDir. cfg's
// backend-dependent fields (FanOut, PartitionSize, RescueAfter, Name,
// Schedules) are filled from b; cfg.Runner gets the store.
func Open(ctx context.Context, b Backend, dataDir string, cfg Config) (*sqlstore.Store, *Queue, error) {
	cfg.PartitionSize, cfg.RescueAfter, cfg.Name = b.PartitionSize, b.RescueAfter, b.WorkerName
	cfg.BeatEvery, cfg.DeadAfter = b.BeatEvery, b.DeadAfter
	if cfg.Schedules == nil {
		cfg.Schedules = b.Schedules()
	}
	if b.DatabaseURL == "" {
		cfg.FanOut = b.FanOut != nil && *b.FanOut
		dbPath := filepath.Join(dataDir, "forecastd.db")
		store, err := sqlstore.OpenSQLite(ctx, dbPath)
		if err != nil {
			return nil, nil, err
		}
		store.KeepVintages(b.VintageRetention)
		cfg.Runner.Store = store
		q, err := OpenSQLite(ctx, store, dbPath, cfg)
		if err != nil {
			return nil, nil, errors.Join(err, store.Close())
		}
		return store, q, nil
	}
	cfg.FanOut = b.FanOut == nil || *b.FanOut
	store, err := sqlstore.OpenPostgres(ctx, b.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	store.KeepVintages(b.VintageRetention)
	cfg.Runner.Store = store
	q, err := OpenPostgres(ctx, store, b.DatabaseURL, cfg)
	if err != nil {
		return nil, nil, errors.Join(err, store.Close())
	}
	return store, q, nil
}

// EngineOptions configure OpenEngine. Zero fields take the defaults noted.
type EngineOptions struct {
	Backend Backend
	// DataDir holds the SQLite database when Backend has no DatabaseURL;
	// default var.
	DataDir string
	// Workers is how many jobs (or partitions) run at once; default 1.
	Workers int
	// Work makes this process work jobs; without it, it only queues them
	// (an API-only replica).
	Work bool
	// SeriesWorkers bounds the series trained at once inside a job;
	// default GOMAXPROCS.
	SeriesWorkers int
	// BatchSize is Runner.BatchSize: the series a streamed job trains
	// together, and a fanned-out job with a global candidate's partition
	// (plan.go); default DefaultBatchSize.
	BatchSize int
	// Guard configures memguard.
	Guard memguard.Options
	// Registry is the candidate set; default models.Standard().
	Registry *models.Registry
	Logger   *slog.Logger
	// Metrics receives the job metrics, memguard's collector and the Go
	// runtime and process collectors; default a fresh registry nobody
	// scrapes.
	Metrics prometheus.Registerer
}

// Engine is the part of every forecastd process that queues or works
// jobs: the memguard guard, the store and the queue. `forecastd serve`
// (api.New) and `forecastd worker` (NewWorker) both open it here, so
// the two cannot drift apart in how they start.
type Engine struct {
	Store *sqlstore.Store
	Queue *Queue
	Guard *memguard.Guard

	runner *Runner
	// Accuracy scores kept forecasts as their actuals arrive.
	Accuracy *Accuracy
}

// OpenEngine creates the guard, registers the metrics and opens the
// store and the queue (running migrations). Nothing runs until
// Engine.Queue.Start.
func OpenEngine(ctx context.Context, o EngineOptions) (*Engine, error) {
	if o.Registry == nil {
		o.Registry = models.Standard()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DataDir == "" {
		o.DataDir = "var"
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
	guard, err := memguard.New(o.Guard)
	if err != nil {
		return nil, fmt.Errorf("jobs: memguard: %w", err)
	}
	jm, err := NewMetrics(o.Metrics)
	if err != nil {
		return nil, fmt.Errorf("jobs: metrics: %w", err)
	}
	if err := o.Metrics.Register(guard.Collector()); err != nil {
		return nil, fmt.Errorf("jobs: metrics: %w", err)
	}
	if err := memguard.RegisterRuntime(o.Metrics); err != nil {
		return nil, fmt.Errorf("jobs: metrics: %w", err)
	}
	runner := &Runner{Registry: o.Registry, Guard: guard, Logger: o.Logger,
		Workers: o.SeriesWorkers, BatchSize: o.BatchSize, Excluded: guard.IsQuarantined, Metrics: jm}
	store, q, err := Open(ctx, o.Backend, o.DataDir, Config{Runner: runner, Workers: max(o.Workers, 1), Work: o.Work, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	if err := restoreQuarantine(ctx, store, guard); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	acc, err := NewAccuracy(store, q, AccuracyOptions{RetrainOnDrift: o.Backend.RetrainOnDrift}, o.Logger, o.Metrics)
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	return &Engine{Store: store, Queue: q, Guard: guard, Accuracy: acc, runner: runner}, nil
}

// restoreQuarantine loads the stored quarantine into the guard, then
// restarts every kind's window: this process may run other code than
// the one whose runs a window would have measured (a deploy).
func restoreQuarantine(ctx context.Context, store *sqlstore.Store, guard *memguard.Guard) error {
	rows, err := store.QuarantineList(ctx)
	if err != nil {
		return fmt.Errorf("jobs: restore quarantine: %w", err)
	}
	for _, q := range rows {
		guard.Quarantine(q.Model, q.Reason)
	}
	guard.Restart("deploy")
	return nil
}

// quarantineSync is what a Runner last read of the stored quarantine.
type quarantineSync struct {
	mu   sync.Mutex
	seen map[string]bool
}

// syncQuarantine brings the store's quarantine changes into the guard
// before a job, so that an operator's PUT or DELETE on one process (or
// another process's hunt) is honoured by every worker on its next job:
// models stored since the last read are quarantined, models deleted since
// then are released. Changes are applied, not the whole list, so that a
// quarantine this process holds before it is stored (a running hunt's
// culprit) stays. When the set changed, the guard restarts every kind's
// window (memguard.Guard.UpdateQuarantine). A store that cannot be read
// leaves the quarantine as it was, with a warning: the job runs rather
// than fails.
func (r *Runner) syncQuarantine(ctx context.Context) {
	r.qsync.mu.Lock()
	defer r.qsync.mu.Unlock()
	rows, err := r.Store.QuarantineList(ctx)
	if err != nil {
		r.logger().Warn("quarantine not refreshed from the store; the job uses the last one read", "err", err)
		return
	}
	now := make(map[string]bool, len(rows))
	var add []memguard.QuarantineEntry
	for _, q := range rows {
		now[q.Model] = true
		if !r.qsync.seen[q.Model] {
			add = append(add, memguard.QuarantineEntry{Name: q.Model, Reason: q.Reason, Since: q.Since})
		}
	}
	var remove []string
	for name := range r.qsync.seen {
		if !now[name] {
			remove = append(remove, name)
		}
	}
	r.qsync.seen = now
	if r.Guard.UpdateQuarantine(add, remove) {
		r.logger().Info("quarantine changed in the store; memguard's windows restart",
			"quarantined", len(add), "released", remove)
	}
}

// Close stops the queue (cancelling running jobs, which River retries),
// cancels a running leak hunt and waits for it, and closes the store,
// within ctx.
func (e *Engine) Close(ctx context.Context) error {
	var errs []error
	if err := e.Queue.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("jobs: stop: %w", err))
	}
	if err := e.runner.StopHunts(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := e.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
