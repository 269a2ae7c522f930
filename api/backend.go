package api

import (
	"context"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

// BackendOptions select the storage and job backend: the embedded SQLite
// file under DataDir by default, PostgreSQL with DatabaseURL (then jobs fan
// out to every worker process), plus the cron schedules. The same options
// configure `forecastd worker` (see jobs.Backend), so all replicas agree.
type BackendOptions struct {
	jobs.Backend
}

// openBackend opens the store and the job queue.
func openBackend(ctx context.Context, opts Options, runner *jobs.Runner) (*sqlstore.Store, *jobs.Queue, error) {
	return jobs.Open(ctx, opts.Backend.Backend, opts.DataDir, jobs.Config{Runner: runner,
		Workers: max(opts.JobWorkers, 1), Work: opts.JobWorkers > 0, Logger: opts.Logger})
}
