package jobs_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forecastd/forecastd/api"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/internal/app"
	"github.com/forecastd/forecastd/internal/pgtest"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
)

// TestMain doubles as `forecastd worker` for the multi-process tests: the
// test binary re-executes itself with FORECASTD_TEST_WORKER=1 and the
// worker's FORECASTD_* environment, so the tests need no separately built
// binary and kill real processes.
func TestMain(m *testing.M) {
	if os.Getenv("FORECASTD_TEST_WORKER") == "1" {
		os.Exit(runTestWorker())
	}
	os.Exit(m.Run())
}

func runTestWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := app.Load(app.WorkerCommand, nil, app.Environ, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	opts := jobs.WorkerOptions{Backend: cfg.Backend, SeriesWorkers: 1, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	// The identity test's one-process run trains in batches this size.
	if b, err := strconv.Atoi(os.Getenv("FORECASTD_TEST_BATCH_SIZE")); err == nil {
		opts.BatchSize = b
	}
	w, err := jobs.NewWorker(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := w.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	if err := w.Stop(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// postgresURL is pgtest.URL: the test's server, or a skip outside CI.
func postgresURL(t *testing.T) string { return pgtest.URL(t) }

func newDatabase(t *testing.T) string {
	t.Helper()
	u, drop, err := sqlstore.CreatePostgresDatabase(context.Background(), postgresURL(t), "forecastd_jobs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return u
}

func testLog() io.Writer {
	if os.Getenv("FORECASTD_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

type server struct {
	*api.Server
	base string
	t    *testing.T
}

func startServer(t *testing.T, backend jobs.Backend, workers int) *server {
	t.Helper()
	ctx := context.Background()
	srv, err := api.New(ctx, api.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JobWorkers: workers, SeriesWorkers: 1,
		Backend: api.BackendOptions{Backend: backend}, ShutdownTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(testLog(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { check(t, func() error { return srv.Stop(context.Background()) }) })
	return &server{Server: srv, base: "http://" + srv.Addr(), t: t}
}

func (s *server) ingest(o demo.Options) []data.Key {
	s.t.Helper()
	obs := demo.Sales(o)
	if _, err := s.Store().Ingest(context.Background(), func(fn func(data.Observation) error) error {
		for _, ob := range obs {
			if err := fn(ob); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		s.t.Fatal(err)
	}
	var keys []data.Key
	for i, ob := range obs {
		if i == 0 || ob.Key != obs[i-1].Key {
			keys = append(keys, ob.Key)
		}
	}
	return keys
}

func (s *server) postJob(body string) string {
	s.t.Helper()
	resp, err := http.Post(s.base+"/v1/jobs", "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer check(s.t, resp.Body.Close)
	b, _ := io.ReadAll(resp.Body)
	var created struct{ ID string }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &created) != nil {
		s.t.Fatalf("post job: %d %s", resp.StatusCode, b)
	}
	return created.ID
}

func (s *server) waitJob(id string, timeout time.Duration, each func(*sqlstore.Job)) *sqlstore.Job {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := s.Store().GetJob(context.Background(), id)
		if err != nil {
			s.t.Fatal(err)
		}
		switch {
		case j.State == sqlstore.JobSucceeded:
			return j
		case j.State == sqlstore.JobFailed || j.State == sqlstore.JobCancelled:
			s.t.Fatalf("job %s ended %s: %s", id, j.State, j.Error)
		case time.Now().After(deadline):
			s.t.Fatalf("job %s not done after %s: %+v", id, timeout, j)
		}
		if each != nil {
			each(j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type points []struct{ Value, Lower, Upper float64 }

func (s *server) forecasts(keys []data.Key, jobID string) map[data.Key]points {
	s.t.Helper()
	out := map[data.Key]points{}
	for _, k := range keys {
		r, err := s.Store().GetResult(context.Background(), k)
		if err != nil {
			s.t.Fatalf("forecast of %s: %v", k, err)
		}
		if r.JobID != jobID {
			s.t.Errorf("forecast of %s from job %s, want %s", k, r.JobID, jobID)
		}
		var res forecast.Result
		if err := record.Result.Decode(r.Body, &res); err != nil || len(res.Points) == 0 {
			s.t.Fatalf("forecast of %s: %s (%v)", k, r.Body, err)
		}
		for _, p := range res.Points {
			out[k] = append(out[k], struct{ Value, Lower, Upper float64 }{p.Value, p.Lower, p.Upper})
		}
	}
	return out
}

// sameForecasts compares every point of got and want within 1e-9: each
// series' tournament is deterministic and does not depend on which process
// or partition ran it.
func sameForecasts(t *testing.T, got, want map[data.Key]points) {
	t.Helper()
	const tol = 1e-9
	if len(got) != len(want) {
		t.Fatalf("%d forecasts, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Fatalf("%s: %d points, want %d", k, len(g), len(w))
		}
		for i := range w {
			if math.Abs(g[i].Value-w[i].Value) > tol || math.Abs(g[i].Lower-w[i].Lower) > tol || math.Abs(g[i].Upper-w[i].Upper) > tol {
				t.Fatalf("%s point %d: %+v, want %+v", k, i, g[i], w[i])
			}
		}
	}
}

const fastJob = `{"horizon": 14, "top_k": 2, "models": ["naive", "seasonal_naive", "ridge", "ses"]}`

// reference trains o's data in the embedded single-process mode.
func reference(t *testing.T, o demo.Options, job string) map[data.Key]points {
	t.Helper()
	ref := startServer(t, jobs.Backend{}, 1)
	keys := ref.ingest(o)
	id := ref.postJob(job)
	ref.waitJob(id, time.Minute, nil)
	return ref.forecasts(keys, id)
}

// TestFanOutSQLite runs the partitioned path in one embedded process: the
// same results as the whole-job path, progress summed over partitions, for
// chunks of series and for one partition per store.
func TestFanOutSQLite(t *testing.T) {
	o := demo.Options{Stores: 2, SKUs: 3, Days: 200}
	want := reference(t, o, fastJob)
	on := true
	s := startServer(t, jobs.Backend{FanOut: &on, PartitionSize: 2}, 1)
	keys := s.ingest(o)
	for _, tc := range []struct{ name, job string }{
		{"chunks of 2 series", fastJob},
		{"by store", strings.Replace(fastJob, "{", `{"partition_by": "store", `, 1)},
		{"one chunk", strings.Replace(fastJob, "{", `{"partition_size": 100, `, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := s.postJob(tc.job)
			j := s.waitJob(id, time.Minute, nil)
			if j.SeriesDone != 6 || j.SeriesTotal != 6 || j.Progress != 1 {
				t.Errorf("job = %+v", j)
			}
			mem := jobMemory(t, j)
			if mem.Worker == "" || mem.Verdict == "" {
				t.Fatalf("memory = %+v", mem)
			}
			// The partition's memguard report carries the worker's name.
			resp, err := http.Get(s.base + "/v1/memguard/reports/" + mem.ReportID)
			if err != nil {
				t.Fatal(err)
			}
			defer check(t, resp.Body.Close)
			var rep struct{ Labels map[string]string }
			if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || rep.Labels["worker"] != mem.Worker {
				t.Errorf("report %s labels = %v (%v), want worker=%s", mem.ReportID, rep.Labels, err, mem.Worker)
			}
			sameForecasts(t, s.forecasts(keys, id), want)
		})
	}
}

type worker struct {
	name string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

func startWorker(t *testing.T, dbURL, name string, extraEnv ...string) *worker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FORECASTD_TEST_WORKER=1", "FORECASTD_DATABASE_URL="+dbURL,
		"FORECASTD_WORKER_NAME="+name, "FORECASTD_PARTITION_SIZE=2", "FORECASTD_RESCUE_AFTER=3s")
	cmd.Env = append(cmd.Env, extraEnv...)
	w := &worker{name: name, cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = w.log, w.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("worker %s: %v", name, err)
			}
			done := make(chan struct{})
			var exit error
			go func() { exit = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
					t.Errorf("worker %s: %v", name, err)
				}
				<-done
			}
			if exit != nil {
				t.Logf("worker %s: %v", name, exit)
			}
		}
		if t.Failed() || os.Getenv("FORECASTD_TEST_LOG") != "" {
			t.Logf("worker %s log:\n%s", name, w.log)
		}
	})
	return w
}

// TestScaleOutPostgres: one API process that works no jobs and two worker
// processes share a training job over PostgreSQL; the forecasts equal the
// embedded single-process ones, and both workers ran partitions.
func TestScaleOutPostgres(t *testing.T) {
	dbURL := newDatabase(t)
	o := demo.Options{Stores: 2, SKUs: 6, Days: 400}
	apiSrv := startServer(t, jobs.Backend{DatabaseURL: dbURL, PartitionSize: 2, RescueAfter: 3 * time.Second}, 0)
	keys := apiSrv.ingest(o)
	startWorker(t, dbURL, "w1")
	startWorker(t, dbURL, "w2")
	want := reference(t, o, fastJob)
	id := apiSrv.postJob(fastJob)
	maxDone := 0
	j := apiSrv.waitJob(id, 90*time.Second, func(j *sqlstore.Job) {
		if j.SeriesDone < maxDone {
			t.Errorf("progress went back from %d to %d", maxDone, j.SeriesDone)
		}
		maxDone = j.SeriesDone
	})
	if j.SeriesDone != 12 || j.SeriesTotal != 12 {
		t.Errorf("job = %+v", j)
	}
	sameForecasts(t, apiSrv.forecasts(keys, id), want)
	db := openDB(t, dbURL)
	byWorker := partitionWorkers(t, db)
	if len(byWorker) != 2 || byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Errorf("partitions by worker = %v, want both workers", byWorker)
	}
	if mem := jobMemory(t, j); mem.Worker != "w1" && mem.Worker != "w2" {
		t.Errorf("job memory = %+v", mem)
	}
}

// jobMemory decodes the memory summary of a job row.
func jobMemory(t *testing.T, row *sqlstore.Job) *jobs.MemorySummary {
	t.Helper()
	j, err := jobs.DecodeJob(row)
	if err != nil || j.Memory == nil {
		t.Fatalf("job %s: memory %s (%v)", row.ID, row.Memory, err)
	}
	return j.Memory
}

// TestScaleOutWorkerKilled: a worker killed with SIGKILL in the middle of a
// job; River's leader rescues its running partition after RescueAfter and
// the other worker runs it. The job completes with every series exactly
// once, from the parent job.
func TestScaleOutWorkerKilled(t *testing.T) {
	dbURL := newDatabase(t)
	// Enough work that w1 is caught mid-partition: 12 partitions of 2
	// series, each well under RescueAfter.
	o := demo.Options{Stores: 2, SKUs: 12, Days: 730}
	const job = `{"horizon": 14, "top_k": 2, "models": ["naive", "seasonal_naive", "ridge", "ses", "holt", "theta"]}`
	apiSrv := startServer(t, jobs.Backend{DatabaseURL: dbURL, PartitionSize: 2, RescueAfter: 3 * time.Second}, 0)
	keys := apiSrv.ingest(o)
	db := openDB(t, dbURL)
	w1 := startWorker(t, dbURL, "w1")
	startWorker(t, dbURL, "w2")
	want := reference(t, o, job)
	id := apiSrv.postJob(job)
	killed := false
	apiSrv.waitJob(id, 100*time.Second, func(j *sqlstore.Job) {
		if killed {
			return
		}
		// Kill w1 while it is running a partition.
		var running, completed int
		if err := db.QueryRow(`SELECT
			COUNT(*) FILTER (WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] LIKE 'w1%'),
			COUNT(*) FILTER (WHERE state = 'completed')
			FROM river_job WHERE kind = $1`, jobs.PartArgs{}.Kind()).Scan(&running, &completed); err != nil {
			t.Fatal(err)
		}
		if running > 0 {
			if err := w1.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if err := w1.cmd.Wait(); err == nil {
				t.Fatal("w1 exited cleanly after it was killed")
			}
			killed = true
			t.Logf("killed w1 with %d partitions completed, %d running on it", completed, running)
			logPartitions(t, db)
		}
	})
	if !killed {
		t.Fatal("the job finished before w1 could be killed mid-partition")
	}
	var rows, distinct, fromJob, staged int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT (store, sku)), COUNT(*) FILTER (WHERE job_id = $1) FROM results`, id).
		Scan(&rows, &distinct, &fromJob); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM staged_results`).Scan(&staged); err != nil {
		t.Fatal(err)
	}
	if rows != len(keys) || distinct != len(keys) || fromJob != len(keys) || staged != 0 {
		t.Fatalf("results: %d rows, %d series, %d from job %s, %d still staged; want %d each and none staged",
			rows, distinct, fromJob, id, staged, len(keys))
	}
	var rescued int
	if err := db.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND attempt > 1 AND state = 'completed'`,
		jobs.PartArgs{}.Kind()).Scan(&rescued); err != nil {
		t.Fatal(err)
	}
	if rescued == 0 {
		t.Error("no partition was retried after the kill")
	}
	sameForecasts(t, apiSrv.forecasts(keys, id), want)
}

func openDB(t *testing.T, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { check(t, db.Close) })
	return db
}

// partitionWorkers counts completed partitions by the worker that ran them.
func partitionWorkers(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	rows, err := db.Query(`SELECT metadata->'output'->>'worker', COUNT(*) FROM river_job WHERE kind = $1 AND state = 'completed' GROUP BY 1`,
		jobs.PartArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer check(t, rows.Close)
	out := map[string]int{}
	for rows.Next() {
		var w sql.NullString
		var n int
		if err := rows.Scan(&w, &n); err != nil {
			t.Fatal(err)
		}
		out[w.String] = n
	}
	return out
}

func logPartitions(t *testing.T, db *sql.DB) {
	rows, err := db.Query(`SELECT id, state, attempt, attempted_by FROM river_job WHERE kind = $1 ORDER BY id`, jobs.PartArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer check(t, rows.Close)
	for rows.Next() {
		var id, attempt int
		var state string
		var by sql.NullString
		if err := rows.Scan(&id, &state, &attempt, &by); err != nil {
			t.Fatal(err)
		}
		t.Logf("partition job %d: %s attempt %d by %s", id, state, attempt, by.String)
	}
}

// TestCancelFanOut cancels a partitioned job while it runs: the job ends
// cancelled, its unfinished partitions are cancelled, nothing is published.
// The whole-job path (no fan-out) must cancel as before.
func TestCancelFanOut(t *testing.T) {
	on, off := true, false
	for _, tc := range []struct {
		name   string
		fanOut *bool
	}{{"fan-out", &on}, {"whole job", &off}} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, jobs.Backend{FanOut: tc.fanOut, PartitionSize: 1}, 1)
			s.ingest(demo.Options{Stores: 1, SKUs: 24, Days: 730})
			id := s.postJob(`{"horizon": 14, "models": ["naive", "seasonal_naive", "ridge", "ses", "holt", "theta"]}`)
			deadline := time.Now().Add(30 * time.Second)
			for {
				j, err := s.Store().GetJob(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if j.State == sqlstore.JobRunning {
					break
				}
				if j.State != sqlstore.JobQueued && j.State != sqlstore.JobRunning || time.Now().After(deadline) {
					t.Fatalf("job before cancel: %+v", j)
				}
				time.Sleep(20 * time.Millisecond)
			}
			req, _ := http.NewRequest("DELETE", s.base+"/v1/jobs/"+id, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			check(t, resp.Body.Close)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("cancel: %d", resp.StatusCode)
			}
			time.Sleep(time.Second)
			j, err := s.Store().GetJob(context.Background(), id)
			if err != nil || j.State != sqlstore.JobCancelled {
				t.Fatalf("job after cancel = %+v, %v", j, err)
			}
			if r, err := s.Store().GetResult(context.Background(), data.Key{Store: "S01", SKU: "SKU001"}); err == nil {
				t.Fatalf("a cancelled job published %+v", r)
			}
		})
	}
}
