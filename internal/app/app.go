package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/forecastd/forecastd/api"
	"github.com/forecastd/forecastd/jobs"
)

// Serve runs `forecastd serve` until ctx is done: the API (and the job
// workers unless Workers is 0), then a bounded graceful stop. What to try
// is printed on stdout; logs go to stderr.
func Serve(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	log := c.Setup(stderr)
	srv, err := api.New(ctx, c.ServerOptions(log))
	if err != nil {
		return err
	}
	return run(ctx, srv, log, func() {
		base := "http://" + srv.Addr()
		where := "data in " + c.DataDir
		if c.Backend.DatabaseURL != "" {
			where = "data in PostgreSQL"
		}
		fmt.Fprintf(stdout, "forecastd serving on %s (%s)\n", base, where)
		fmt.Fprintf(stdout, "try:\n  curl %s/v1/series\n  curl %s/v1/jobs\n  curl %s/v1/forecasts/S01/SKU001\n  curl %s/v1/series/S01/SKU001/leaderboard\n  open %s/ui (dashboard)\n  curl %s/openapi.json\n  curl %s/metrics\n",
			base, base, base, base, base, base, base)
		if a := srv.AdminAddr(); a != "" {
			fmt.Fprintf(stdout, "  go tool pprof http://%s/debug/pprof/heap (admin listener, loopback only)\n", a)
		}
	})
}

// Worker runs `forecastd worker` until ctx is done: a process that only
// works jobs (partitions of training jobs, refreshes, scheduled fires)
// from the shared database, with /healthz and /metrics on MetricsAddr.
func Worker(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	log := c.Setup(stderr)
	w, err := jobs.NewWorker(ctx, c.WorkerOptions(log))
	if err != nil {
		return err
	}
	return run(ctx, w, log.With("worker", w.Name()), func() {
		fmt.Fprintf(stdout, "forecastd worker %s working jobs", w.Name())
		if a := w.Addr(); a != "" {
			fmt.Fprintf(stdout, " (metrics on http://%s/metrics)", a)
		}
		fmt.Fprintln(stdout)
	})
}

// service is what Serve and Worker run: api.Server or jobs.Worker.
type service interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// run starts svc, reports it started, waits for ctx and stops svc. Stop
// gets a fresh context: ctx is already done, and svc bounds the stop by
// its own ShutdownTimeout.
func run(ctx context.Context, svc service, log *slog.Logger, started func()) error {
	if err := svc.Start(ctx); err != nil {
		return errors.Join(err, svc.Stop(context.WithoutCancel(ctx)))
	}
	started()
	<-ctx.Done()
	log.Info("shutting down")
	return svc.Stop(context.WithoutCancel(ctx))
}
