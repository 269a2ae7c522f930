package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/forecastd/forecastd/jobs"
)

// runWorker runs `forecastd worker`: a process that only works jobs
// (partitions of training jobs, refreshes, scheduled fires) from the shared
// PostgreSQL database, with /healthz and /metrics on a small listener.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("metrics-addr", envOr("FORECASTD_METRICS_ADDR", ""), "listen address of /healthz and /metrics; empty: none (FORECASTD_METRICS_ADDR)")
	dataDir := fs.String("data-dir", envOr("FORECASTD_DATA_DIR", "var"), "directory of the embedded SQLite database, without -database-url (FORECASTD_DATA_DIR)")
	workers := fs.Int("workers", envInt("FORECASTD_WORKERS", 1), "partitions worked at once (FORECASTD_WORKERS)")
	seriesWorkers := fs.Int("series-workers", envInt("FORECASTD_SERIES_WORKERS", 0), "series trained at once inside a partition; 0 = number of CPUs (FORECASTD_SERIES_WORKERS)")
	logFormat := fs.String("log-format", envOr("FORECASTD_LOG_FORMAT", "json"), "log format: json or text (FORECASTD_LOG_FORMAT)")
	var opts jobs.WorkerOptions
	opts.Backend.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *workers < 1 {
		return fmt.Errorf("-workers %d: a worker works at least one job at a time", *workers)
	}
	var h slog.Handler = slog.NewJSONHandler(stderr, nil)
	if *logFormat == "text" {
		h = slog.NewTextHandler(stderr, nil)
	}
	opts.Logger = slog.New(h)
	opts.Addr, opts.DataDir, opts.Jobs, opts.SeriesWorkers = *addr, *dataDir, *workers, *seriesWorkers
	w, err := jobs.NewWorker(ctx, opts)
	if err != nil {
		return err
	}
	if err := w.Start(ctx); err != nil {
		w.Stop(context.Background())
		return err
	}
	fmt.Fprintf(stdout, "forecastd worker %s working jobs", w.Name())
	if a := w.Addr(); a != "" {
		fmt.Fprintf(stdout, " (metrics on http://%s/metrics)", a)
	}
	fmt.Fprintln(stdout)
	<-ctx.Done()
	opts.Logger.Info("shutting down", "worker", w.Name())
	return w.Stop(context.Background())
}
