// Command scale measures forecastd at retail size (issue 20): for each
// size it writes an M5-shaped data set (data/demo.WriteM5: 10 stores,
// size/10 SKUs, -days days), ingests it into a fresh SQLite store in one
// child process and trains it with the default tournament in another
// (this program re-executed), so each child's CPU time and peak RSS are
// its own, read from the kernel's rusage. It prints one table: wall time,
// series/s, CPU-s per series and per candidate-fold, peak RSS, store
// size, and the forecastd figures quoted in issue 20 beside them.
//
// With -peers it runs R forecast (ets, auto.arima, thetaf, croston) and
// statsmodels on the first -peer-series series of the same file, over
// the same three rolling-origin folds and horizon, and prints CPU-s per
// series per candidate-fold for each beside forecastd's own per-fold fit
// time of the matching candidates (read from the published leaderboards).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
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
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type config struct {
	sizes                  []int
	days, horizon, windows int
	batch                  int
	local                  bool
	peers                  []string
	peerSeries             int
	dir                    string
	keep                   bool
	// reuse trains on the store a -keep run left in dir for a size (a
	// copy of it), skipping generation and ingest; ingestOnly stops
	// after the ingest. A 30,490-series ingest takes longer than its
	// training: the two can run at different times.
	reuse, ingestOnly bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	sizes := fs.String("sizes", "1000", "series counts to measure, comma-separated (multiples of 10; e.g. 1000,3000,10000,30490)")
	days := fs.Int("days", 1941, "days of history (M5: 1,941)")
	horizon := fs.Int("horizon", 28, "forecast horizon")
	windows := fs.Int("windows", 3, "backtest folds")
	local := fs.Bool("local", false, "train the default tournament without its global candidates (the per-series work of issue 20's CPU target)")
	batch := fs.Int("batch", 0, "series per streamed batch (0: the runner's default; a huge value loads the job at once, as before issue 20)")
	peers := fs.String("peers", "", "peers to run on the same data: r, statsmodels (comma-separated)")
	peerSeries := fs.Int("peer-series", 20, "series the peers (and forecastd's matching candidates) are timed on")
	dir := fs.String("dir", "", "working directory (default: a temporary one, removed unless -keep)")
	keep := fs.Bool("keep", false, "keep the data, the stores and the peers' output")
	reuse := fs.Bool("reuse", false, "train on a copy of the store a -keep run left in -dir for each size, skipping generation and ingest")
	ingestOnly := fs.Bool("ingest-only", false, "generate and ingest each size, then stop (keep the store with -keep, train it later with -reuse)")
	peersOnly := fs.Bool("peers-only", false, "only run the peers, on the store a -keep run left in -dir for the first size")
	childIngest := fs.String("child-ingest", "", "internal: ingest CSV into -db")
	childTrain := fs.Bool("child-train", false, "internal: train every series of -db")
	db := fs.String("db", "", "internal: the store of a child")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *childIngest != "":
		return ingestChild(ctx, *db, *childIngest, stdout)
	case *childTrain:
		return trainChild(ctx, *db, *horizon, *windows, *batch, *local, stdout)
	}
	c := config{days: *days, horizon: *horizon, windows: *windows, batch: *batch, local: *local, peerSeries: *peerSeries, keep: *keep, dir: *dir,
		reuse: *reuse, ingestOnly: *ingestOnly}
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 10 || n%10 != 0 {
			return fmt.Errorf("-sizes: %q is not a multiple of 10", f)
		}
		c.sizes = append(c.sizes, n)
	}
	for _, p := range strings.Split(*peers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if p != "r" && p != "statsmodels" {
				return fmt.Errorf("-peers: unknown peer %q (r, statsmodels)", p)
			}
			c.peers = append(c.peers, p)
		}
	}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "forecastd-scale-")
		if err != nil {
			return err
		}
		c.dir = d
		if !c.keep {
			defer func() { _ = os.RemoveAll(d) }() // scratch
		}
	}
	if *peersOnly {
		return runPeers(ctx, c, stdout)
	}
	return measureAll(ctx, c, stdout)
}

// row is one size's measurement.
type row struct {
	series                 int
	rows                   int64
	genS, ingestS, trainS  float64
	trainCPU, ingestCPU    float64
	rssMB, ingestRSSMB     float64
	storeMB                float64
	out                    trainOut
	perCandidateFoldCPU    float64
	candidates, candidateF int
}

func measureAll(ctx context.Context, c config, stdout io.Writer) error {
	which := "default tournament"
	if c.local {
		which = "default tournament without its global candidates"
	}
	fmt.Fprintf(stdout, "M5-shaped data (data/demo.WriteM5, seed 42): 10 stores x size/10 SKUs x %d days; %s (%d candidates), %d folds, h=%d; GOMAXPROCS %d, load average at start %s\n",
		c.days, which, len(candidates(c.local)), c.windows, c.horizon, runtime.GOMAXPROCS(0), loadAvg())
	var rows []row
	for _, n := range c.sizes {
		r, err := measure(ctx, c, n)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		if c.ingestOnly {
			fmt.Fprintf(stdout, "  %d series: %d rows generated in %.0fs, ingested in %.0fs (%.0f CPU-s, peak RSS %.0f MB), store %.0f MB, load average now %s\n",
				n, r.rows, r.genS, r.ingestS, r.ingestCPU, r.ingestRSSMB, r.storeMB, loadAvg())
			continue
		}
		fmt.Fprintf(stdout, "  %d series: trained in %.0fs (%d failed, %d fallback, %d reduced), load average now %s\n",
			n, r.trainS, r.out.Summary.Failed, r.out.Summary.Fallback, r.out.Summary.Reduced, loadAvg())
	}
	if c.ingestOnly {
		return nil
	}
	printTable(stdout, c, rows)
	if len(c.peers) > 0 {
		return runPeers(ctx, c, stdout)
	}
	return nil
}

func measure(ctx context.Context, c config, n int) (row, error) {
	r := row{series: n}
	db := filepath.Join(c.dir, fmt.Sprintf("store_%d.db", n))
	if c.reuse {
		// Train a copy, so the kept store can be trained again.
		run := filepath.Join(c.dir, fmt.Sprintf("store_%d.run.db", n))
		if err := copyStore(db, run); err != nil {
			return r, fmt.Errorf("-reuse: %w", err)
		}
		return train(ctx, c, r, run)
	}
	csvPath := filepath.Join(c.dir, fmt.Sprintf("m5_%d.csv", n))
	t0 := time.Now()
	f, err := os.Create(csvPath)
	if err != nil {
		return r, err
	}
	st, err := demo.WriteM5(ctx, f, demo.M5Options{Stores: 10, SKUs: n / 10, Days: c.days, Seed: 42})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return r, err
	}
	r.genS, r.rows = time.Since(t0).Seconds(), st.Rows
	var ing ingestOut
	ru, wall, err := child(ctx, &ing, "-child-ingest", csvPath, "-db", db)
	if err != nil {
		return r, fmt.Errorf("ingest %d series: %w", n, err)
	}
	r.ingestS, r.ingestCPU, r.ingestRSSMB = wall, cpuSeconds(ru), float64(ru.Maxrss)/1024
	if c.ingestOnly {
		r.storeMB = float64(fileSize(db)+fileSize(db+"-wal")) / (1 << 20)
		return r, nil
	}
	return train(ctx, c, r, db)
}

// train runs the training child on db and fills r's training figures.
func train(ctx context.Context, c config, r row, db string) (row, error) {
	n := r.series
	var out trainOut
	ru, wall, err := child(ctx, &out, "-child-train", "-db", db, "-horizon", strconv.Itoa(c.horizon),
		"-windows", strconv.Itoa(c.windows), "-batch", strconv.Itoa(c.batch), "-local="+strconv.FormatBool(c.local))
	if err != nil {
		return r, fmt.Errorf("train %d series: %w", n, err)
	}
	r.out = out
	if r.out.State != sqlstore.JobSucceeded {
		return r, fmt.Errorf("train %d series: job %s: %s", n, r.out.State, r.out.Error)
	}
	r.trainS, r.trainCPU, r.rssMB = wall, cpuSeconds(ru), float64(ru.Maxrss)/1024
	r.storeMB = float64(fileSize(db)+fileSize(db+"-wal")) / (1 << 20)
	r.candidates = len(candidates(c.local))
	r.candidateF = r.candidates * c.windows
	r.perCandidateFoldCPU = r.trainCPU / float64(n) / float64(r.candidateF)
	return r, nil
}

// copyStore copies the SQLite store at src (and its write-ahead log) to
// dst, replacing what was there.
func copyStore(src, dst string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dst + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return err
		}
		out, err := os.Create(dst + suffix)
		if err != nil {
			_ = in.Close() // read-only
			return err
		}
		_, err = io.Copy(out, in)
		_ = in.Close() // read-only
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", src+suffix, err)
		}
	}
	return nil
}

func printTable(w io.Writer, c config, rows []row) {
	fmt.Fprintf(w, "\n| series | days | rows | ingest s | train wall s | series/s | CPU-s/series | global CPU-s/series | global rows/model | CPU-s per candidate-fold | peak RSS MB (train) | store MB | failed | fallback | load s | publish s |\n")
	fmt.Fprintf(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		// The global candidates' pools, as the job's phases record them
		// (blank when the job trained none).
		globalCPU, globalRows := "", ""
		if g := r.out.Phases; g != nil && g.Global != nil && g.Global.Models > 0 {
			globalCPU = fmt.Sprintf("%.4f", g.Global.CPUSeconds/float64(r.series))
			globalRows = fmt.Sprintf("%d", g.Global.Rows/g.Global.Models)
		}
		var load, publish float64
		if r.out.Phases != nil {
			load, publish = r.out.Phases.Load, r.out.Phases.Publish
		}
		fmt.Fprintf(w, "| %d | %d | %d | %.1f | %.1f | %.2f | %.3f | %s | %s | %.5f | %.0f | %.0f | %d | %d | %.1f | %.1f |\n",
			r.series, c.days, r.rows, r.ingestS, r.trainS, float64(r.series)/r.trainS, r.trainCPU/float64(r.series),
			globalCPU, globalRows, r.perCandidateFoldCPU, r.rssMB, r.storeMB, r.out.Summary.Failed, r.out.Summary.Fallback, load, publish)
	}
	// Issue 20's own figures, not re-measured here: 500 series of 1,826
	// days in 2:23 at ~0.57 CPU-s per series.
	fmt.Fprintf(w, "| 500 (issue 20, before; not re-measured) | 1826 | | | 143 | 3.50 | 0.570 | | | %.5f | | | | | | |\n",
		0.57/float64(len(models.DefaultTournament())*c.windows))
	if len(rows) > 1 {
		a, b := rows[0], rows[len(rows)-1]
		fmt.Fprintf(w, "\ncost growth %d -> %d series: CPU %.2fx, wall %.2fx for %.2fx the series\n",
			a.series, b.series, b.trainCPU/a.trainCPU, b.trainS/a.trainS, float64(b.series)/float64(a.series))
	}
	fmt.Fprintf(w, "(CPU-s per candidate-fold = train CPU-s / series / (%d candidates x %d folds): it charges loading, refits, combination and staging to the folds.)\n",
		len(models.DefaultTournament()), c.windows)
}

// child runs this program with args, decodes its JSON stdout into v and
// returns its rusage and wall time.
func child(ctx context.Context, v any, args ...string) (*syscall.Rusage, float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	out, err := cmd.Output()
	wall := time.Since(t0).Seconds()
	if err != nil {
		return nil, wall, err
	}
	if err := json.Unmarshal(out, v); err != nil {
		return nil, wall, fmt.Errorf("child output %q: %w", out, err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return nil, wall, errors.New("no rusage for the child")
	}
	return ru, wall, nil
}

func cpuSeconds(ru *syscall.Rusage) float64 {
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

type ingestOut struct {
	Rows, Series int64
}

// ingestChild loads csvPath into a new SQLite store at db.
func ingestChild(ctx context.Context, db, csvPath string, stdout io.Writer) error {
	store, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }() // the ingest committed or failed already
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only
	st, err := store.Ingest(ctx, func(fn func(data.Observation) error) error { return ingest.ParseCSV(f, fn) })
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(ingestOut{Rows: int64(st.Rows), Series: int64(st.Series)})
}

type trainOut struct {
	State   string        `json:"state"`
	Error   string        `json:"error"`
	Done    int           `json:"done"`
	Summary *jobs.Summary `json:"summary"`
	Phases  *jobs.Phases  `json:"phases"`
}

// trainChild runs one training job over every series of db with the
// default tournament, as the service's runner does.
func trainChild(ctx context.Context, db string, horizon, windows, batch int, local bool, stdout io.Writer) error {
	store, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }() // the job's state is recorded already
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		return err
	}
	r := &jobs.Runner{Store: store, Registry: models.Standard(), Guard: guard, BatchSize: batch,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	params := fmt.Sprintf(`{"kind": "train", "horizon": %d, "windows": %d}`, horizon, windows)
	if local {
		names, err := json.Marshal(candidates(true))
		if err != nil {
			return err
		}
		params = fmt.Sprintf(`{"kind": "train", "horizon": %d, "windows": %d, "models": %s}`, horizon, windows, names)
	}
	id := "scale"
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: []byte(params)}, nil); err != nil {
		return err
	}
	if err := r.Execute(ctx, id); err != nil && !jobs.IsPermanent(err) {
		return err
	}
	row, err := store.GetJob(ctx, id)
	if err != nil {
		return err
	}
	j, err := jobs.DecodeJob(row)
	if err != nil {
		return err
	}
	out := trainOut{State: j.State, Error: j.Error, Done: j.SeriesDone, Summary: j.Summary, Phases: j.Phases}
	if out.Summary == nil {
		out.Summary = &jobs.Summary{}
	}
	return json.NewEncoder(stdout).Encode(out)
}

// candidates names the default tournament, without its global candidates
// when local.
func candidates(local bool) []string {
	var out []string
	for _, sp := range models.Standard().Defaults() {
		if !local || !sp.Global {
			out = append(out, sp.Name)
		}
	}
	return out
}

// fitSeconds sums, per candidate, the fit seconds and folds the
// published leaderboards of the first n series (in key order) record.
func fitSeconds(ctx context.Context, db string, n int) (map[string][2]float64, error) {
	store, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		return nil, err
	}
	defer func() { _ = store.Close() }() // read-only
	out := map[string][2]float64{}
	seen := 0
	errStop := errors.New("stop")
	err = store.ListResults(ctx, func(res *sqlstore.Result) error {
		if seen >= n {
			return errStop
		}
		seen++
		var r forecast.Result
		if err := record.Result.Decode(res.Body, &r); err != nil {
			return err
		}
		for _, e := range r.Leaderboard {
			v := out[e.Name]
			v[0] += e.Seconds
			v[1] += float64(e.Folds)
			out[e.Name] = v
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return out, err
}
