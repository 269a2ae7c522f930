package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/forecastd/forecastd/api"
	"github.com/forecastd/forecastd/memguard"
)

// envOr returns the environment variable's value, or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("FORECASTD_ADDR", "127.0.0.1:8080"), "listen address (FORECASTD_ADDR)")
	dataDir := fs.String("data-dir", envOr("FORECASTD_DATA_DIR", "var"), "directory of the embedded SQLite database (FORECASTD_DATA_DIR)")
	withDemo := fs.Bool("demo", envBool("FORECASTD_DEMO", false), "load deterministic demo data into an empty database and queue a training job (FORECASTD_DEMO)")
	workers := fs.Int("workers", envInt("FORECASTD_WORKERS", 1), "jobs worked at once by this process; 0 serves the API only (FORECASTD_WORKERS)")
	seriesWorkers := fs.Int("series-workers", envInt("FORECASTD_SERIES_WORKERS", 0), "series trained at once inside a job; 0 = number of CPUs (FORECASTD_SERIES_WORKERS)")
	logFormat := fs.String("log-format", envOr("FORECASTD_LOG_FORMAT", "json"), "log format: json or text (FORECASTD_LOG_FORMAT)")
	budget := fs.Int64("memory-budget", int64(envInt("FORECASTD_MEMORY_BUDGET_MB", 0)), "per-job limit on live heap growth in MiB; a job over it is cancelled with a clear error; 0 = none (FORECASTD_MEMORY_BUDGET_MB)")
	memLimit := fs.Int64("memory-limit", int64(envInt("FORECASTD_MEMORY_LIMIT_MB", 0)), "Go soft memory limit (GOMEMLIMIT) in MiB; 0 = leave it (FORECASTD_MEMORY_LIMIT_MB)")
	profileRate := fs.Int("mem-profile-rate", envInt("FORECASTD_MEM_PROFILE_RATE", 0), "runtime.MemProfileRate during profiled guarded runs; 0 = the runtime's (FORECASTD_MEM_PROFILE_RATE)")
	var opts api.Options
	opts.Backend.RegisterFlags(fs)
	opts.Ops.RegisterFlags(fs)
	opts.Security.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var h slog.Handler = slog.NewJSONHandler(stderr, nil)
	if *logFormat == "text" {
		h = slog.NewTextHandler(stderr, nil)
	}
	logger := slog.New(h)
	opts.Addr, opts.DataDir, opts.Demo, opts.JobWorkers, opts.SeriesWorkers, opts.Logger = *addr, *dataDir, *withDemo, *workers, *seriesWorkers, logger
	opts.Guard.MaxRetainedBytes = *budget << 20
	opts.Guard.MemProfileRate = *profileRate
	if *memLimit > 0 {
		memguard.SetMemoryLimit(*memLimit << 20)
	}
	srv, err := api.New(ctx, opts)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		srv.Stop(context.Background())
		return err
	}
	base := "http://" + srv.Addr()
	where := "data in " + *dataDir
	if opts.Backend.DatabaseURL != "" {
		where = "data in PostgreSQL"
	}
	fmt.Fprintf(stdout, "forecastd serving on %s (%s)\n", base, where)
	fmt.Fprintf(stdout, "try:\n  curl %s/v1/series\n  curl %s/v1/jobs\n  curl %s/v1/forecasts/S01/SKU001\n  curl %s/v1/series/S01/SKU001/leaderboard\n  open %s/ui (dashboard)\n  curl %s/openapi.json\n  curl %s/metrics\n",
		base, base, base, base, base, base, base)
	if a := srv.AdminAddr(); a != "" {
		fmt.Fprintf(stdout, "  go tool pprof http://%s/debug/pprof/heap (admin listener, loopback only)\n", a)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return srv.Stop(context.Background())
}
