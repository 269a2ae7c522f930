// Command models_baselines times forecastd's baseline, Theta and
// intermittent-demand models (and SES, which Theta builds on) the way
// peer.R and peer.py time their R and Python counterparts: Fit, and a
// Forecast of h steps from the fitted model, each repeated in -rounds
// rounds of at least -min-cpu of process CPU time, the fastest round
// reported per call. It prints
// one JSON line per (series, model) with the forecast, for compare.py to
// put beside the peers' timings and to check that they agree.
//
// CPU time (getrusage), not wall time: the benchmark machine is shared, and
// the peers report proc.time and time.process_time.
//
//	go run ./bench/models_baselines                  # from the repository root
//	go run ./bench/models_baselines -models naive,tsb -min-cpu 50ms
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
)

// benchSeries is one series of the benchmark. peer.R and peer.py read the
// same files with the same seasons; keep the three in step.
type benchSeries struct {
	name   string
	season int
	// sparse series are run by the intermittent family only; the other
	// families run on the dense ones.
	sparse bool
	y      []float64
}

// record is one output line. compare.py reads these fields from the
// peers' lines too.
type record struct {
	Impl       string    `json:"impl"`
	Peer       string    `json:"peer"`
	Series     string    `json:"series"`
	Model      string    `json:"model"`
	Family     string    `json:"family"`
	FitNs      float64   `json:"fit_ns"`
	PredNs     float64   `json:"predict_ns"`
	FitReps    int       `json:"fit_reps"`
	PredReps   int       `json:"predict_reps"`
	FitAllocs  float64   `json:"fit_allocs"`
	PredAllocs float64   `json:"predict_allocs"`
	Forecast   []float64 `json:"forecast"`
}

// benchFamilies are the families timed by default; "ses" is added by name.
var benchFamilies = map[string]bool{"baseline": true, "theta": true, "intermittent": true}

func main() {
	names := flag.String("models", "", "comma-separated model names (default: every model of the baseline, theta and intermittent families, and ses)")
	minCPU := flag.Duration("min-cpu", 50*time.Millisecond, "CPU time of one round of repeated fits or forecasts")
	rounds := flag.Int("rounds", 3, "rounds per timing; the fastest counts")
	h := flag.Int("h", 28, "forecast horizon")
	root := flag.String("root", ".", "the repository root, where the series are read from")
	flag.Parse()
	if err := run(os.Stdout, *root, splitList(*names), *minCPU, *rounds, *h); err != nil {
		fmt.Fprintln(os.Stderr, "models_baselines:", err)
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(w io.Writer, root string, names []string, minCPU time.Duration, rounds, h int) error {
	reg := models.Standard()
	var specs []models.Spec
	if len(names) == 0 {
		for _, s := range reg.All() {
			if benchFamilies[s.Family] || s.Name == "ses" {
				specs = append(specs, s)
			}
		}
	} else {
		var err error
		if specs, err = reg.Select(names); err != nil {
			return err
		}
	}
	series, err := loadSeries(root)
	if err != nil {
		return err
	}
	ctx := context.Background()
	enc := json.NewEncoder(w)
	for _, s := range series {
		in := models.Input{Y: s.y, Season: s.season}
		for _, spec := range specs {
			if s.sparse && spec.Family != "intermittent" {
				continue
			}
			rec, err := timeModel(ctx, spec, in, h, minCPU, rounds)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", spec.Name, s.name, err)
			}
			rec.Series = s.name
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// timeModel times spec's Fit on in, then the Forecast of h steps from one
// fitted model, and returns the timings with that forecast.
func timeModel(ctx context.Context, spec models.Spec, in models.Input, h int, minCPU time.Duration, rounds int) (record, error) {
	m := spec.New()
	fitCPU, fitReps, fitAllocs, err := measure(minCPU, rounds, func() error {
		_, err := m.Fit(ctx, in)
		return err
	})
	if err != nil {
		return record{}, fmt.Errorf("fit: %w", err)
	}
	fit, err := m.Fit(ctx, in)
	if err != nil {
		return record{}, fmt.Errorf("fit: %w", err)
	}
	var fc []float64
	predCPU, predReps, predAllocs, err := measure(minCPU, rounds, func() error {
		var err error
		fc, err = fit.Forecast(ctx, in, h)
		return err
	})
	if err != nil {
		return record{}, fmt.Errorf("forecast: %w", err)
	}
	return record{
		Impl: "Go", Peer: "forecastd", Model: spec.Name, Family: spec.Family,
		FitNs: fitCPU, PredNs: predCPU, FitReps: fitReps, PredReps: predReps,
		FitAllocs: fitAllocs, PredAllocs: predAllocs, Forecast: fc,
	}, nil
}

// maxReps bounds the repetitions of one round, for calls too cheap for
// the clock to see.
const maxReps = 50_000_000

// measure calls f once to warm up, then grows n until n calls use at least
// minCPU of CPU time, and times rounds rounds of n calls. It returns the
// CPU nanoseconds and heap allocations per call of the fastest round, and
// n: on a shared machine the fastest round is the one least disturbed by
// other work. Memory statistics are read outside the timed loop:
// ReadMemStats stops the world.
func measure(minCPU time.Duration, rounds int, f func() error) (ns float64, n int, allocs float64, err error) {
	if err := f(); err != nil {
		return 0, 0, 0, err
	}
	n = 1
	ns = math.Inf(1)
	for done := 0; done < rounds; {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0 := cputime.Process()
		for range n {
			if err := f(); err != nil {
				return 0, 0, 0, err
			}
		}
		dt := cputime.Process() - t0
		runtime.ReadMemStats(&m1)
		if dt < minCPU && n < maxReps {
			// Aim a fifth past minCPU from this round's rate, growing at
			// most a hundredfold while the clock has seen too little to
			// trust.
			next := 100 * n
			if dt > minCPU/100 {
				next = min(next, int(1.2*float64(n)*float64(minCPU)/float64(dt))+1)
			}
			n = min(max(next, 2*n), maxReps)
			continue
		}
		done++
		if per := float64(dt) / float64(n); per < ns {
			ns, allocs = per, float64(m1.Mallocs-m0.Mallocs)/float64(n)
		}
	}
	return ns, n, allocs, nil
}

// loadSeries reads the benchmark series from the repository root: the
// 1,826 daily sales of Kaggle store 1 / item 1 (season 7), M4 hourly H1
// (700 points, season 24) and a synthetic intermittent series of 1,826
// days (make_series.R).
func loadSeries(root string) ([]benchSeries, error) {
	daily, err := readLines(filepath.Join(root, "models/testdata/theta/kaggle_store1_item1.txt"))
	if err != nil {
		return nil, err
	}
	hourly, err := readH1(filepath.Join(root, "models/testdata/theta/golden.json"))
	if err != nil {
		return nil, err
	}
	sparse, err := readLines(filepath.Join(root, "bench/models_baselines/testdata/intermittent1826.txt"))
	if err != nil {
		return nil, err
	}
	if len(daily) != 1826 || len(hourly) != 700 || len(sparse) != 1826 {
		return nil, fmt.Errorf("benchmark series have %d, %d and %d points, want 1826, 700 and 1826",
			len(daily), len(hourly), len(sparse))
	}
	return []benchSeries{
		{name: "daily1826", season: 7, y: daily},
		{name: "hourly700", season: 24, y: hourly},
		{name: "sparse1826", season: 7, sparse: true, y: sparse},
	}, nil
}

// readLines reads one number per line.
func readLines(path string) ([]float64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = fh.Close() }() // read-only: nothing was written to lose
	var y []float64
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		v, err := strconv.ParseFloat(strings.TrimSpace(sc.Text()), 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, len(y)+1, err)
		}
		y = append(y, v)
	}
	return y, sc.Err()
}

// readH1 returns the values of series H1 in the Theta golden file.
func readH1(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g struct {
		Series []struct {
			ID string    `json:"id"`
			Y  []float64 `json:"y"`
		} `json:"series"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range g.Series {
		if s.ID == "H1" {
			return s.Y, nil
		}
	}
	return nil, fmt.Errorf("%s: no series H1", path)
}
