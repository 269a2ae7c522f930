package api

import (
	"context"
	"flag"
	"path/filepath"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/jobs"
)

// BackendOptions select the storage and job backend. (Owned by the
// scale-out work.)
type BackendOptions struct{}

// RegisterFlags adds the options' flags (with FORECASTD_* environment
// defaults) to fs.
func (o *BackendOptions) RegisterFlags(fs *flag.FlagSet) {}

// openBackend opens the store and the job queue: the embedded SQLite file
// under DataDir.
func openBackend(ctx context.Context, opts Options, runner *jobs.Runner) (*data.Store, *jobs.Queue, error) {
	dbPath := filepath.Join(opts.DataDir, "forecastd.db")
	store, err := data.OpenSQLite(ctx, dbPath)
	if err != nil {
		return nil, nil, err
	}
	runner.Store = store
	q, err := jobs.OpenSQLite(ctx, store, jobs.Config{DBPath: dbPath, Runner: runner,
		Workers: max(opts.JobWorkers, 1), Work: opts.JobWorkers > 0, Logger: opts.Logger})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, q, nil
}
