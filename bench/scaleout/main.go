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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	dataingest "github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/internal/app"
	"github.com/forecastd/forecastd/internal/environ"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
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
	partSize := fs.Int("partition-size", 0, "series per partition the job asks for (0: the default plan, sized by cost or by batch)")
	seriesWorkers := fs.Int("series-workers", 1, "series trained at once in each worker (1: one core per worker)")
	reps := fs.Int("reps", 1, "repetitions per worker count")
	sizes := fs.String("sizes", "", "M5-shaped series counts to run (data/demo.WriteM5, 10 stores from 1,000 series up; e.g. 3049 or 30490); replaces -stores/-skus")
	horizon := fs.Int("horizon", 28, "forecast horizon")
	identity := fs.Bool("identity", false, "also train each data set in one process (the embedded streamed path over SQLite) and print the max abs difference of every forecast point and interval bound of each worker run from it")
	verbose := fs.Bool("v", false, "print every partition's timing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *worker {
		return runWorker(ctx, *seriesWorkers)
	}
	if *adminURL == "" {
		return fmt.Errorf("set -admin-url or FORECASTD_TEST_DATABASE_URL (scripts/pg-setup.sh prints one)")
	}
	var models []string
	if *modelList != "default" {
		models = strings.Split(*modelList, ",")
	}
	var sets []dataset
	if *sizes == "" {
		sets = append(sets, salesSet(*stores, *skus, *days))
	} else {
		for _, f := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("-sizes %q", *sizes)
			}
			sets = append(sets, m5Set(n, *days))
		}
	}
	for _, ds := range sets {
		fmt.Fprintf(stdout, "data: %s; models %s; h=%d; partition size %d (0: default plan); %d series worker(s) per process; GOMAXPROCS %s, CPUs on host %d\n",
			ds.name, *modelList, *horizon, *partSize, *seriesWorkers, environ.Get("GOMAXPROCS"), numCPU())
		var ref map[data.Key]points
		if *identity {
			secs, cpu, r, err := oneProcess(ctx, ds, jobs.Params{Horizon: *horizon, Models: models}, *seriesWorkers)
			if err != nil {
				return err
			}
			ref = r
			fmt.Fprintf(stdout, "one process (embedded, streamed, SQLite): %.2f s wall, %.2f CPU s, %d series\n", secs, cpu, len(ref))
		}
		fmt.Fprintf(stdout, "%-8s %-4s %10s %10s %8s %10s %8s %10s %6s %-8s %9s %9s %9s %7s %12s\n", "workers", "rep", "seconds", "series/s", "speedup",
			"worker cpu", "cores", "pg xacts", "parts", "plan", "part min", "part med", "part max", "max/job", "max |diff|")
		var base float64
		for _, f := range strings.Split(*counts, ",") {
			k, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || k < 1 {
				return fmt.Errorf("-workers %q", *counts)
			}
			for r := 1; r <= *reps; r++ {
				m, err := measure(ctx, *adminURL, k, ds, jobs.Params{Horizon: *horizon, Models: models, PartitionSize: *partSize}, *seriesWorkers, ref != nil)
				if err != nil {
					return err
				}
				if base == 0 {
					base = m.secs
				}
				diff := "-"
				if ref != nil {
					d, err := maxDiff(ref, m.forecasts)
					if err != nil {
						return err
					}
					diff = strconv.FormatFloat(d, 'g', 3, 64)
				}
				fo := m.fanOut
				secs := partSeconds(fo)
				fmt.Fprintf(stdout, "%-8d %-4d %10.2f %10.2f %8.2f %10.2f %8.2f %10d %6d %-8s %9.2f %9.2f %9.2f %6.1f%% %12s\n", k, r, m.secs, float64(m.series)/m.secs, base/m.secs,
					m.cpu, m.cpu/m.secs, m.xacts, fo.Partitions, fo.Plan, secs[0], secs[len(secs)/2], secs[len(secs)-1], 100*secs[len(secs)-1]/m.secs, diff)
				fmt.Fprintf(stdout, "    straggler: span %.2f s, tail %.2f s (%.1f%% of span), longest partition %.2f s (%.1f%% of span); busy:",
					fo.SpanSeconds, fo.TailSeconds, 100*fo.TailShare, fo.LongestSeconds, 100*fo.LongestShare)
				for _, b := range fo.Busy {
					fmt.Fprintf(stdout, " %s %.2f s in %d", b.Worker, b.BusySeconds, b.Partitions)
				}
				fmt.Fprintln(stdout)
				if *verbose {
					for _, t := range fo.Timings {
						fmt.Fprintf(stdout, "    part %4d %-8s %6d series %8.2f s attempt %d cost %.3g\n", t.Part, t.Worker, t.Series, t.Seconds, t.Attempt, t.Cost)
					}
				}
				if len(fo.Failovers) > 0 {
					fmt.Fprintf(stdout, "    failovers: %+v\n", fo.Failovers)
				}
			}
		}
	}
	return nil
}

// partSeconds is the sorted partition seconds of a job ({0} without).
func partSeconds(fo *jobs.FanOut) []float64 {
	out := []float64{}
	for _, t := range fo.Timings {
		out = append(out, t.Seconds)
	}
	if len(out) == 0 {
		return []float64{0}
	}
	slices.Sort(out)
	return out
}

// dataset is the sales a run trains.
type dataset struct {
	name   string
	series int
	ingest func(ctx context.Context, store *sqlstore.Store) error
}

// salesSet is the small demo grid (data/demo.Sales).
func salesSet(stores, skus, days int) dataset {
	o := demo.Options{Stores: stores, SKUs: skus, Days: days}
	return dataset{name: fmt.Sprintf("demo grid %d stores x %d skus x %d days", stores, skus, days), series: stores * skus,
		ingest: func(ctx context.Context, store *sqlstore.Store) error {
			_, err := store.Ingest(ctx, data.Each(demo.Sales(o)))
			return err
		}}
}

// m5Set is about n M5-shaped series of days days (default 1,941 when
// days is the demo default): 10 stores from 1,000 series up, as M5 has.
func m5Set(n, days int) dataset {
	stores := 1
	if n >= 1000 {
		stores = 10
	}
	skus := (n + stores - 1) / stores
	if days == 730 { // the demo grid's default: M5 has 1,941
		days = 1941
	}
	o := demo.M5Options{Stores: stores, SKUs: skus, Days: days}
	return dataset{name: fmt.Sprintf("M5-shaped %d stores x %d skus x %d days", stores, skus, days), series: stores * skus,
		ingest: func(ctx context.Context, store *sqlstore.Store) error {
			pr, pw := io.Pipe()
			go func() {
				_, err := demo.WriteM5(ctx, pw, o)
				pw.CloseWithError(err)
			}()
			_, err := store.Ingest(ctx, func(fn func(data.Observation) error) error { return dataingest.ParseCSV(pr, fn) })
			return errors.Join(err, pr.Close())
		}}
}

// points is one series' forecast: value, lower and upper per step.
type points [][3]float64

// readForecasts decodes every published forecast in store.
func readForecasts(ctx context.Context, store *sqlstore.Store) (map[data.Key]points, error) {
	out := map[data.Key]points{}
	err := store.ListResults(ctx, func(res *sqlstore.Result) error {
		var r forecast.Result
		if err := record.Result.Decode(res.Body, &r); err != nil {
			return fmt.Errorf("forecast of %s: %w", res.Key, err)
		}
		p := make(points, len(r.Points))
		for i, q := range r.Points {
			p[i] = [3]float64{q.Value, q.Lower, q.Upper}
		}
		out[res.Key] = p
		return nil
	})
	return out, err
}

// maxDiff is the largest absolute difference of any point's value or
// bound; a series or step missing on one side is an error.
func maxDiff(want, got map[data.Key]points) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("identity: %d forecasts, one process made %d", len(got), len(want))
	}
	var d float64
	for k, w := range want {
		g, ok := got[k]
		if !ok || len(g) != len(w) {
			return 0, fmt.Errorf("identity: %s: %d points, one process made %d", k, len(g), len(w))
		}
		for i := range w {
			for j := range 3 {
				d = max(d, math.Abs(g[i][j]-w[i][j]))
			}
		}
	}
	return d, nil
}

// oneProcess trains ds in this process as `forecastd serve` with SQLite
// does (the streamed path, in batches of jobs.DefaultBatchSize) and
// returns the wall and CPU seconds and the forecasts.
func oneProcess(ctx context.Context, ds dataset, p jobs.Params, seriesWorkers int) (secs, cpu float64, _ map[data.Key]points, err error) {
	dir, err := os.MkdirTemp("", "scaleout-ref")
	if err != nil {
		return 0, 0, nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "ref.db"))
	if err != nil {
		return 0, 0, nil, err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	if err := ds.ingest(ctx, store); err != nil {
		return 0, 0, nil, err
	}
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		return 0, 0, nil, err
	}
	runner := &jobs.Runner{Store: store, Registry: models.Standard(), Guard: guard, Workers: seriesWorkers,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := p.Validate(runner.Registry); err != nil {
		return 0, 0, nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return 0, 0, nil, err
	}
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "one", Kind: "train", Params: b}, nil); err != nil {
		return 0, 0, nil, err
	}
	cpu0, start := selfCPU(), time.Now()
	if err := runner.Execute(ctx, "one"); err != nil {
		return 0, 0, nil, err
	}
	secs, cpu = time.Since(start).Seconds(), selfCPU()-cpu0
	if j, err := store.GetJob(ctx, "one"); err != nil || j.State != sqlstore.JobSucceeded {
		return 0, 0, nil, fmt.Errorf("one-process job: %+v %v", j, err)
	}
	f, err := readForecasts(ctx, store)
	return secs, cpu, f, err
}

// selfCPU is this process's user and system CPU seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

// measurement is one job's run over PostgreSQL.
type measurement struct {
	// secs is the job's wall seconds, cpu the CPU seconds the worker
	// processes used meanwhile (how many cores the machine actually gave
	// them), xacts the database's committed transactions.
	secs, cpu float64
	xacts     int64
	series    int
	fanOut    *jobs.FanOut
	forecasts map[data.Key]points // when asked
}

// measure runs one job of p over ds with k worker processes.
func measure(ctx context.Context, adminURL string, k int, ds dataset, p jobs.Params, seriesWorkers int, keep bool) (m measurement, err error) {
	url, drop, err := sqlstore.CreatePostgresDatabase(ctx, adminURL, "forecastd_bench")
	if err != nil {
		return m, err
	}
	defer func() { err = errors.Join(err, drop(context.Background())) }()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		return m, err
	}
	runner := &jobs.Runner{Registry: models.Standard(), Guard: guard, Logger: log}
	b := jobs.Backend{DatabaseURL: url}
	store, q, err := jobs.Open(ctx, b, "", jobs.Config{Runner: runner, Work: false, Logger: log})
	if err != nil {
		return m, err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	defer func() { err = errors.Join(err, q.Stop(context.Background())) }()
	if err := ds.ingest(ctx, store); err != nil {
		return m, err
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
		// The workers run with the default settings (partition size,
		// heartbeat, rescue).
		cmd.Env = append(cmd.Environ(), "FORECASTD_DATABASE_URL="+url, fmt.Sprintf("FORECASTD_WORKER_NAME=bench%d", i+1))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return m, err
		}
		procs = append(procs, cmd)
	}
	// Let the workers connect, migrate and beat: the plan counts the
	// live workers.
	time.Sleep(3 * time.Second)
	if err := p.Validate(runner.Registry); err != nil {
		return m, err
	}
	xact0, err := xacts(ctx, store.DB())
	if err != nil {
		return m, err
	}
	cpu0 := procCPU(procs)
	start := time.Now()
	j, err := q.Enqueue(ctx, p, "bench")
	if err != nil {
		return m, err
	}
	for {
		got, err := store.GetJob(ctx, j.ID)
		if err != nil {
			return m, err
		}
		if got.State == sqlstore.JobSucceeded {
			break
		}
		if got.State == sqlstore.JobFailed || got.State == sqlstore.JobCancelled {
			return m, fmt.Errorf("job %s %s: %s", j.ID, got.State, got.Error)
		}
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	m.secs = time.Since(start).Seconds()
	m.cpu = procCPU(procs) - cpu0
	xact1, err := xacts(ctx, store.DB())
	if err != nil {
		return m, err
	}
	m.xacts = xact1 - xact0
	row, err := store.GetJob(ctx, j.ID)
	if err != nil {
		return m, err
	}
	job, err := jobs.DecodeJob(row)
	if err != nil {
		return m, err
	}
	if job.Summary == nil || job.Summary.FanOut == nil {
		return m, fmt.Errorf("job %s: no fan_out in its summary", j.ID)
	}
	m.series, m.fanOut = job.SeriesTotal, job.Summary.FanOut
	if keep {
		m.forecasts, err = readForecasts(ctx, store)
	}
	return m, err
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
