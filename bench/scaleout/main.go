// Command scaleout measures how a training job's wall time changes with the
// number of worker processes sharing it over PostgreSQL. For each worker
// count it creates a fresh database, loads the demo data, starts the workers
// (this program re-executed with -worker), queues one job from an enqueue-only
// queue (as the API does) and times it until the job has succeeded. It also
// reads PostgreSQL's transaction count for the database, the figure that
// bounds how far the scheme scales (see docs/SCALEOUT.md).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/app"
	"github.com/forecastd/forecastd/internal/environ"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scaleout", flag.ContinueOnError)
	worker := fs.Bool("worker", false, "run as a worker process (used by the benchmark itself)")
	adminURL := fs.String("admin-url", environ.Get("FORECASTD_TEST_DATABASE_URL"), "PostgreSQL URL of a user that may create databases")
	counts := fs.String("workers", "1,2", "worker process counts to measure")
	stores := fs.Int("stores", 3, "demo stores")
	skus := fs.Int("skus", 24, "demo SKUs per store")
	days := fs.Int("days", 730, "demo days")
	modelList := fs.String("models", "naive,seasonal_naive,drift,mean,ses,holt,ridge,theta", "candidate models")
	partSize := fs.Int("partition-size", 8, "series per partition")
	seriesWorkers := fs.Int("series-workers", 1, "series trained at once in each worker (1: one core per worker)")
	reps := fs.Int("reps", 1, "repetitions per worker count")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *worker {
		return runWorker(ctx, *seriesWorkers)
	}
	if *adminURL == "" {
		return fmt.Errorf("set -admin-url or FORECASTD_TEST_DATABASE_URL (scripts/pg-setup.sh prints one)")
	}
	fmt.Fprintf(stdout, "grid: %d stores x %d skus x %d days = %d series; models %s; partition %d series; %d series worker(s) per process; GOMAXPROCS %s, CPUs on host %d\n",
		*stores, *skus, *days, *stores**skus, *modelList, *partSize, *seriesWorkers, environ.Get("GOMAXPROCS"), numCPU())
	fmt.Fprintf(stdout, "%-8s %-4s %10s %10s %8s %10s %8s %10s\n", "workers", "rep", "seconds", "series/s", "speedup", "worker cpu", "cores", "pg xacts")
	var base float64
	for _, f := range strings.Split(*counts, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			return fmt.Errorf("-workers %q", *counts)
		}
		for r := 1; r <= *reps; r++ {
			secs, cpu, xacts, err := measure(ctx, *adminURL, k, *stores, *skus, *days, *partSize, *seriesWorkers, strings.Split(*modelList, ","))
			if err != nil {
				return err
			}
			if base == 0 {
				base = secs
			}
			n := float64(*stores * *skus)
			fmt.Fprintf(stdout, "%-8d %-4d %10.2f %10.2f %8.2f %10.2f %8.2f %10d\n", k, r, secs, n/secs, base/secs, cpu, cpu/secs, xacts)
		}
	}
	return nil
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

// measure returns the job's wall seconds, the CPU seconds the worker
// processes used meanwhile (how many cores the machine actually gave them)
// and the database's committed transactions.
func measure(ctx context.Context, adminURL string, k, stores, skus, days, partSize, seriesWorkers int, modelNames []string) (secs, cpu float64, xactN int64, err error) {
	url, drop, err := sqlstore.CreatePostgresDatabase(ctx, adminURL, "forecastd_bench")
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() { err = errors.Join(err, drop(context.Background())) }()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		return 0, 0, 0, err
	}
	runner := &jobs.Runner{Registry: models.Standard(), Guard: guard, Logger: log}
	b := jobs.Backend{DatabaseURL: url, PartitionSize: partSize, RescueAfter: 10 * time.Minute}
	store, q, err := jobs.Open(ctx, b, "", jobs.Config{Runner: runner, Work: false, Logger: log})
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	defer func() { err = errors.Join(err, q.Stop(context.Background())) }()
	obs := demo.Sales(demo.Options{Stores: stores, SKUs: skus, Days: days})
	if _, err := store.Ingest(ctx, data.Each(obs)); err != nil {
		return 0, 0, 0, err
	}
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			// A worker stops on SIGTERM and exits 0; a worker that failed
			// already is what the error says.
			if serr := p.Process.Signal(syscall.SIGTERM); serr != nil && !errors.Is(serr, os.ErrProcessDone) {
				err = errors.Join(err, serr)
			}
			if werr := p.Wait(); werr != nil {
				err = errors.Join(err, fmt.Errorf("worker %s: %w", p.Args, werr))
			}
		}
	}()
	for i := 0; i < k; i++ {
		cmd := exec.CommandContext(ctx, os.Args[0], "-worker", "-series-workers", strconv.Itoa(seriesWorkers))
		cmd.Env = append(cmd.Environ(), "FORECASTD_DATABASE_URL="+url, fmt.Sprintf("FORECASTD_WORKER_NAME=bench%d", i+1),
			"FORECASTD_PARTITION_SIZE="+strconv.Itoa(partSize), "FORECASTD_RESCUE_AFTER=10m")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return 0, 0, 0, err
		}
		procs = append(procs, cmd)
	}
	time.Sleep(2 * time.Second) // let the workers connect and migrate
	p := jobs.Params{Horizon: 28, Models: modelNames}
	if err := p.Validate(runner.Registry); err != nil {
		return 0, 0, 0, err
	}
	xact0, err := xacts(ctx, store.DB())
	if err != nil {
		return 0, 0, 0, err
	}
	cpu0 := procCPU(procs)
	start := time.Now()
	j, err := q.Enqueue(ctx, p, "bench")
	if err != nil {
		return 0, 0, 0, err
	}
	for {
		got, err := store.GetJob(ctx, j.ID)
		if err != nil {
			return 0, 0, 0, err
		}
		if got.State == sqlstore.JobSucceeded {
			break
		}
		if got.State == sqlstore.JobFailed || got.State == sqlstore.JobCancelled {
			return 0, 0, 0, fmt.Errorf("job %s %s: %s", j.ID, got.State, got.Error)
		}
		select {
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	secs = time.Since(start).Seconds()
	cpu = procCPU(procs) - cpu0
	xact1, err := xacts(ctx, store.DB())
	if err != nil {
		return 0, 0, 0, err
	}
	return secs, cpu, xact1 - xact0, nil
}

// procCPU sums the user and system CPU seconds of the processes so far
// (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s).
func procCPU(procs []*exec.Cmd) float64 {
	var ticks float64
	for _, p := range procs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Process.Pid))
		if err != nil {
			continue
		}
		// The command name (field 2) may hold spaces; fields follow its ")".
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseFloat(f[11], 64)
			s, _ := strconv.ParseFloat(f[12], 64)
			ticks += u + s
		}
	}
	return ticks / 100
}

// xacts is PostgreSQL's count of committed transactions in the current
// database (statistics lag by up to half a second; close enough here).
func xacts(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n, err
}

func runWorker(ctx context.Context, seriesWorkers int) error {
	cfg, err := app.Load(app.WorkerCommand, nil, app.Environ, os.Stderr)
	if err != nil {
		return err
	}
	opts := jobs.WorkerOptions{Backend: cfg.Backend, SeriesWorkers: seriesWorkers,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	w, err := jobs.NewWorker(ctx, opts)
	if err != nil {
		return err
	}
	if err := w.Start(ctx); err != nil {
		return errors.Join(err, w.Stop(context.Background()))
	}
	<-ctx.Done()
	return w.Stop(context.Background())
}
