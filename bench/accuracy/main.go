// Command accuracy scores forecastd's candidates and its combination on
// held-out data and prints them beside the published figures:
//
//   - M4 hourly (414 series, horizon 48, season 24), scored exactly as
//     the competition did (sMAPE, MASE, OWA against Naive2);
//   - Kaggle store/item demand (500 daily series, the last 90 days held
//     out), scored by WAPE and MASE.
//
// Run it with `make accuracy` (or `go run ./bench/accuracy -h`).
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/forecastd/forecastd/bench/holdout"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/models"
)

func main() {
	dataDir := flag.String("data", "../shared/data", "folder holding m4_hourly/ and store_item_demand/")
	set := flag.String("set", "m4", "m4, store or both")
	limit := flag.Int("limit", 0, "score only the first N series (0 = all)")
	modelList := flag.String("models", "", "comma-separated candidates (default: the default tournament)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "series scored at once")
	combine := flag.String("combine", "inverse", "combination: inverse, mean or median")
	racing := flag.String("racing", "fast", "backtest racing: fast (default), exact or off (every candidate on every fold)")
	alone := flag.Bool("candidates", true, "also score every candidate alone (false: the tournament only, much faster)")
	flag.Parse()
	if _, err := forecast.ParseRacing(*racing); err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	reg := models.Standard()
	var names []string
	if *modelList != "" {
		names = strings.Split(*modelList, ",")
	}
	specs, err := reg.Select(names)
	if err != nil {
		fatal(err)
	}
	cfg := config{specs: specs, workers: *workers, combine: *combine, limit: *limit, racing: forecast.Racing(*racing), alone: *alone}
	if *set == "m4" || *set == "both" {
		if err := m4(ctx, filepath.Join(*dataDir, "m4_hourly"), cfg); err != nil {
			fatal(err)
		}
	}
	if *set == "store" || *set == "both" {
		if err := storeItem(ctx, filepath.Join(*dataDir, "store_item_demand", "demand-forecasting-kernels-only.zip"), cfg); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "accuracy:", err)
	os.Exit(1)
}

type config struct {
	specs   []models.Spec
	workers int
	combine string
	limit   int
	racing  forecast.Racing
	alone   bool // score every candidate alone too
}

// task is one series with its held-out future.
type task struct {
	s      *data.Series
	actual []float64
}

// scores holds each method's forecast of one series.
type scores struct {
	fc  map[string][]float64
	err map[string]string
}

// The combinations scored: the tournament's own (-combine), and the three
// rules recomputed from the kept models' forecasts, to choose the default.
const (
	combo       = "COMBINATION (top 5)"
	comboMean   = "  top 5 mean"
	comboMedian = "  top 5 median"
	comboInv    = "  top 5 inverse-error"
)

// score runs the tournament and every candidate alone on each task.
func score(ctx context.Context, tasks []task, h, season int, cfg config) ([]scores, error) {
	out := make([]scores, len(tasks))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var cpu float64 // thread CPU seconds spent in Tournament
	start := time.Now()
	for w := 0; w < cfg.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := tasks[i]
				sc := scores{fc: map[string][]float64{}, err: map[string]string{}}
				o := forecast.Options{Horizon: h, Season: season, Candidates: cfg.specs, Combine: forecast.Combination(cfg.combine), Racing: cfg.racing}
				res, secs, err := timedTournament(ctx, t.s, o)
				var kept []forecast.KeptModel
				if err != nil {
					sc.err[combo] = err.Error()
				} else {
					sc.fc[combo] = values(res.Result.Points)
					if res.Result.Fallback == "" {
						kept = res.Result.Models
					}
				}
				in := models.Input{Y: t.s.Values, Start: t.s.Start, Freq: t.s.Freq, Season: season}
				for _, spec := range cfg.specs {
					if !cfg.alone {
						break
					}
					f, err := spec.New().Fit(ctx, in)
					var fc []float64
					if err == nil {
						fc, err = f.Forecast(ctx, in, h)
					}
					if err != nil {
						sc.err[spec.Name] = err.Error()
						continue
					}
					sc.fc[spec.Name] = fc
				}
				combineKept(sc, kept, h)
				out[i] = sc
				mu.Lock()
				cpu += secs
				done++
				fmt.Fprintf(os.Stderr, "\r%d/%d series, %s", done, len(tasks), time.Since(start).Round(time.Second))
				mu.Unlock()
			}
		}()
	}
	for i := range tasks {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	fmt.Fprintln(os.Stderr)
	fmt.Printf("racing %s: tournament %.3f CPU-s per series (thread CPU time of Tournament, %d series)\n", cfg.racing, cpu/float64(max(len(tasks), 1)), len(tasks))
	return out, ctx.Err()
}

// timedTournament runs the tournament on a goroutine locked to its
// thread and returns the CPU time that thread spent in it, which, unlike
// wall time, other work on a shared machine does not inflate. (The
// garbage collector's background work on other threads is not counted.)
func timedTournament(ctx context.Context, s *data.Series, o forecast.Options) (*forecast.Outcome, float64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	res, err := forecast.Tournament(ctx, s, o)
	return res, threadCPU() - t0, err
}

// threadCPU is the calling thread's user and system CPU seconds
// (RUSAGE_THREAD, Linux); 0 where it is not available.
func threadCPU() float64 {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// combineKept recomputes the combination of the kept models with each
// rule from their full-history forecasts (the same fits the tournament
// refits, so the same numbers).
func combineKept(sc scores, kept []forecast.KeptModel, h int) {
	if len(kept) == 0 {
		return
	}
	mean, med, inv := make([]float64, h), make([]float64, h), make([]float64, h)
	var wsum float64
	for _, k := range kept {
		wsum += 1 / math.Max(k.Backtest.MASE, 1e-9)
	}
	col := make([]float64, len(kept))
	for i := 0; i < h; i++ {
		for j, k := range kept {
			fc, ok := sc.fc[k.Name]
			if !ok {
				return
			}
			col[j] = fc[i]
			mean[i] += fc[i] / float64(len(kept))
			inv[i] += fc[i] / math.Max(k.Backtest.MASE, 1e-9) / wsum
		}
		sort.Float64s(col)
		if n := len(col); n%2 == 1 {
			med[i] = col[n/2]
		} else {
			med[i] = (col[n/2-1] + col[n/2]) / 2
		}
	}
	sc.fc[comboMean], sc.fc[comboMedian], sc.fc[comboInv] = mean, med, inv
}

func values(ps []forecast.Point) []float64 {
	v := make([]float64, len(ps))
	for i, p := range ps {
		v[i] = p.Value
	}
	return v
}

func methodNames(cfg config) []string {
	if !cfg.alone {
		return []string{combo}
	}
	names := []string{combo, comboMean, comboMedian, comboInv}
	for _, s := range cfg.specs {
		names = append(names, s.Name)
	}
	return names
}

// m4 scores the M4 hourly set as the competition did.
func m4(ctx context.Context, dir string, cfg config) error {
	series, test, err := holdout.M4Hourly(dir)
	if err != nil {
		return err
	}
	var tasks []task
	for i, s := range series {
		if cfg.limit > 0 && i >= cfg.limit {
			break
		}
		tasks = append(tasks, task{s: s, actual: test[i]})
	}
	const h, m = 48, 24
	fmt.Printf("M4 hourly: %d series, horizon %d, season %d, %d candidates\n", len(tasks), h, m, len(cfg.specs))
	t0 := time.Now()
	res, err := score(ctx, tasks, h, m, cfg)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	// Naive2's published figures normalise OWA, as the competition did.
	const naive2SMAPE, naive2MASE = 18.383, 2.395
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tsMAPE\tMASE\tOWA\tseries\t")
	type row struct {
		name             string
		smape, mase, owa float64
		n                int
	}
	var rows []row
	for _, name := range methodNames(cfg) {
		var ss, ms float64
		n := eachScored(tasks, res, name, m, func(t task, fc []float64, mase float64) {
			ss += models.SMAPE(t.actual, fc)
			ms += mase
		})
		if n == 0 {
			rows = append(rows, row{name: name})
			continue
		}
		sm, ma := ss/float64(n), ms/float64(n)
		rows = append(rows, row{name, sm, ma, models.OWA(sm, ma, naive2SMAPE, naive2MASE), n})
	}
	sort.SliceStable(rows[min(4, len(rows)):], func(i, j int) bool { return rows[4+i].owa < rows[4+j].owa })
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", r.name, r.smape, r.mase, r.owa, r.n)
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	for _, p := range []struct {
		name             string
		smape, mase, owa float64
	}{
		{"official Naive", 43.003, 11.608, 3.593}, {"official sNaive", 13.912, 1.193, 0.627},
		{"official Naive2", 18.383, 2.395, 1.000}, {"official SES", 18.094, 2.385, 0.990},
		{"official Theta", 18.138, 2.455, 1.006}, {"official Damped", 19.265, 2.956, 1.141},
		{"official winner (Smyl ES-RNN)", 9.328, 0.893, 0.440}, {"official best hourly entry", 8.913, 0.801, 0.410},
	} {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t414\t\n", p.name, p.smape, p.mase, p.owa)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("scored in %s with %d workers\n\n", elapsed.Round(time.Second), cfg.workers)
	return nil
}

// storeItem scores the Kaggle store/item series with the last 90 days
// held out.
func storeItem(ctx context.Context, zipPath string, cfg config) error {
	series, err := holdout.StoreItem(zipPath)
	if err != nil {
		return err
	}
	return scoreStoreItem(ctx, series, cfg)
}

// scoreStoreItem holds out the last 90 days of every series and scores the
// tournament against them.
func scoreStoreItem(ctx context.Context, series []*data.Series, cfg config) error {
	const h, m = 90, 7
	var tasks []task
	for i, s := range series {
		if cfg.limit > 0 && i >= cfg.limit {
			break
		}
		n := len(s.Values)
		train := *s
		train.Values = s.Values[:n-h]
		tasks = append(tasks, task{s: &train, actual: s.Values[n-h:]})
	}
	fmt.Printf("store/item: %d daily series, last %d days held out, season %d, %d candidates\n", len(tasks), h, m, len(cfg.specs))
	t0 := time.Now()
	res, err := score(ctx, tasks, h, m, cfg)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tWAPE\tMASE\tseries\t")
	type row struct {
		name       string
		wape, mase float64
		n          int
	}
	var rows []row
	for _, name := range methodNames(cfg) {
		var absErr, absY, ms float64
		n := eachScored(tasks, res, name, m, func(t task, fc []float64, mase float64) {
			for j := range fc {
				absErr += math.Abs(t.actual[j] - fc[j])
				absY += math.Abs(t.actual[j])
			}
			ms += mase
		})
		if n == 0 {
			rows = append(rows, row{name: name})
			continue
		}
		rows = append(rows, row{name, absErr / absY, ms / float64(n), n})
	}
	sort.SliceStable(rows[min(4, len(rows)):], func(i, j int) bool { return rows[4+i].mase < rows[4+j].mase })
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%d\t\n", r.name, r.wape, r.mase, r.n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("scored in %s with %d workers\n\n", elapsed.Round(time.Second), cfg.workers)
	return nil
}

// eachScored calls fn with every task that method name forecast and whose
// MASE is defined, with that forecast and its MASE, and returns how many
// there were.
func eachScored(tasks []task, res []scores, name string, m int, fn func(t task, fc []float64, mase float64)) int {
	n := 0
	for i, t := range tasks {
		fc, ok := res[i].fc[name]
		if !ok {
			continue
		}
		mase, err := models.MASE(t.s.Values, t.actual, fc, m)
		if err != nil {
			continue
		}
		fn(t, fc, mase)
		n++
	}
	return n
}
