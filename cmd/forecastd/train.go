package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/models"
)

// trainCommand is `forecastd train` as its flags set it up.
type trainCommand struct {
	dataPath, planPath, outPath string
	freqName                    string // "" to infer
	upload                      *ingest.Options
	allowFallback               bool // exit 0 even when series fell back
	opts                        forecast.Options
	// reconcile and attrsPath: train_reconcile.go.
	reconcile      hierarchy.Method
	attrsPath      string
	stdout, stderr io.Writer
}

// runTrain implements `forecastd train`: a tournament over every series
// of a sales CSV, the forecasts written as CSV.
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseTrainFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	return c.run(ctx)
}

func parseTrainFlags(args []string, stdout, stderr io.Writer) (*trainCommand, error) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &trainCommand{stdout: stdout, stderr: stderr}
	fs.StringVar(&c.dataPath, "data", "", "sales CSV (date,store,sku,quantity[,covariates...]); - for stdin")
	fs.StringVar(&c.planPath, "covariates", "", "CSV of covariate values known in advance (date,store,sku,<covariates>, no quantity), e.g. the promotion plan for the horizon; the candidates get the covariates planned over the whole horizon")
	fs.StringVar(&c.outPath, "out", "-", "forecast CSV to write; - for stdout")
	horizon := fs.Int("horizon", 28, "steps to forecast")
	season := fs.Int("season", 0, "season length; 0 = the frequency's default (24 hourly, 7 daily, 52 weekly, 12 monthly)")
	topK := fs.Int("top-k", 5, "candidates kept and combined")
	windows := fs.Int("windows", 3, "backtest folds")
	metric := fs.String("metric", "mase", "ranking metric")
	combine := fs.String("combine", "inverse", "combination: inverse (weights 1/backtest metric), mean or median")
	racing := fs.String("racing", "fast", "backtest racing: fast (default: stop candidates that, even doing half as badly on their remaining folds, would not reach the top k), exact (stop only those that cannot: same forecasts as off) or off (every candidate on every fold)")
	modelList := fs.String("models", "", "comma-separated candidates (default: the default tournament; see `forecastd models`)")
	fs.StringVar(&c.freqName, "freq", "", "frequency: hourly, daily, weekly or monthly (default: inferred from the dates)")
	workers := fs.Int("workers", 0, "series trained at once; 0 = number of CPUs")
	c.upload = uploadFlags(fs)
	// train reads and trains in one step, so the upload's policy is the
	// job's: allow and clip train as a job's negative=allow and clip do;
	// refuse refuses the file, as POST /v1/sales?negative=refuse does
	// (a job's negative=refuse, on stored series, excludes the series).
	fs.Lookup("negative").Usage = "negative quantities: allow (default: trained as they are; candidates that need non-negative data decline the series), " +
		"clip (read as 0, so the series trains on max(y, 0)) or refuse (the file is refused, naming the first negative row, as POST /v1/sales?negative=refuse)"
	reconcile := fs.String("reconcile", "none", "hierarchical reconciliation: none, bottom_up, top_down, mint_ols, mint_wls or mint_shrink; other than none, also trains and writes the aggregates (store/_total, _total/sku, _total/_total, and per attribute value) and makes every forecast coherent")
	fs.StringVar(&c.attrsPath, "attributes", "", "CSV of series attributes (store,sku,<attributes>, e.g. dept), adding a level per attribute to -reconcile")
	fs.BoolVar(&c.allowFallback, "allow-fallback", false, "exit 0 even when some series fell back to a flat mean (a failed series still exits 1)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := c.upload.Validate(true); err != nil {
		return nil, err
	}
	if c.dataPath == "" {
		return nil, errors.New("-data is required")
	}
	var err error
	if c.reconcile, err = hierarchy.ParseMethod(*reconcile); err != nil {
		return nil, fmt.Errorf("-reconcile: %w", err)
	}
	if c.attrsPath != "" && c.reconcile == hierarchy.None {
		return nil, errors.New("-attributes: applies with -reconcile")
	}
	specs, err := models.Standard().Select(splitList(*modelList))
	if err != nil {
		return nil, err
	}
	c.opts = forecast.Options{Horizon: *horizon, TopK: *topK, Windows: *windows, Season: *season, Metric: forecast.Metric(*metric),
		Combine: forecast.Combination(*combine), Workers: *workers, Candidates: specs, Racing: forecast.Racing(*racing)}
	if err := c.opts.Validate(); err != nil {
		return nil, err
	}
	c.opts.TopK = min(c.opts.TopK, len(specs))
	return c, nil
}

// run reads the sales (and the plan), trains and writes the forecasts.
func (c *trainCommand) run(ctx context.Context) error {
	start := time.Now()
	if c.streamable() { // train_stream.go
		err := c.runStreamed(ctx, start)
		if !errors.Is(err, errNotGrouped) {
			return err
		}
		fmt.Fprintf(c.stderr, "%s: the rows of a series are not together: reading the file whole\n", c.dataPath)
	}
	series, freq, err := readSeries(ctx, c.dataPath, c.freqName, c.upload)
	if err != nil {
		return err
	}
	if c.planPath != "" {
		if err := addPlan(series, c.planPath); err != nil {
			return err
		}
	}
	if c.reconcile != hierarchy.None {
		return c.runReconciled(ctx, series, start) // train_reconcile.go
	}
	fmt.Fprintf(c.stderr, "read %d series (%s) in %.1fs; training %d candidates, %d folds, horizon %d\n",
		len(series), freq, time.Since(start).Seconds(), len(c.opts.Candidates), c.opts.Windows, c.opts.Horizon)
	results, sum, err := c.train(ctx, series)
	if err != nil {
		return err
	}
	if err := writeForecasts(c.outPath, c.stdout, results); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "wrote %d forecasts (%d series failed) in %.1fs\n", len(results), sum.Failed, time.Since(start).Seconds())
	return c.report(sum)
}

// train runs the tournament on every series, reporting progress on
// stderr, and counts the outcomes by class.
func (c *trainCommand) train(ctx context.Context, series []*data.Series) (results map[data.Key]*forecast.Result, sum *forecast.Summary, err error) {
	results = make(map[data.Key]*forecast.Result, len(series))
	sum = &forecast.Summary{}
	err = forecast.Run(ctx, series, c.opts, func(s *data.Series, out *forecast.Outcome, err error) error {
		if sum.Add(s.Key, out, err) != forecast.ClassFailed {
			results[s.Key] = out.Result
		}
		return nil
	}, c.progress(time.Now()))
	return results, sum, err
}

// progress reports training progress on stderr, at most once a second.
func (c *trainCommand) progress(trainStart time.Time) forecast.Progress {
	lastReport := time.Time{}
	return func(done, total int) {
		if done == total || time.Since(lastReport) > time.Second {
			lastReport = time.Now()
			el := time.Since(trainStart)
			eta := time.Duration(float64(el) / float64(done) * float64(total-done))
			fmt.Fprintf(c.stderr, "\r%d/%d series, %s elapsed, eta %s   ", done, total, el.Round(time.Second), eta.Round(time.Second))
			if done == total {
				fmt.Fprintln(c.stderr)
			}
		}
	}
}

// readSeries reads a sales CSV into regular series, through the same
// reader and rules as the service and `forecastd features`, inferring the
// frequency unless one is given.
func readSeries(ctx context.Context, path, freqName string, opts *ingest.Options) ([]*data.Series, data.Frequency, error) {
	up, err := readUploadFile(ctx, path, opts)
	if err != nil {
		return nil, "", err
	}
	var freq data.Frequency
	if freqName != "" {
		if freq, err = data.ParseFrequency(freqName); err != nil {
			return nil, "", err
		}
	} else if freq, err = ingest.InferFrequency(up.Series); err != nil {
		return nil, "", fmt.Errorf("%s: %w (give -freq)", path, err)
	}
	series := make([]*data.Series, len(up.Series))
	for i, c := range up.Series {
		if series[i], err = c.Series(freq, up.Covariates); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		up.Series[i] = nil // the columns are garbage once assembled
	}
	return series, freq, nil
}

// addPlan merges the covariate values of a plan file into the series
// they name, as the service does when it loads a series.
func addPlan(series []*data.Series, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only
	byKey := map[data.Key][]data.Observation{}
	if err := ingest.ParseCovariatesCSV(f, func(o data.Observation) error {
		byKey[o.Key] = append(byKey[o.Key], o)
		return nil
	}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range series {
		s.AddPlanned(byKey[s.Key])
	}
	return nil
}

func writeForecasts(path string, stdout io.Writer, results map[data.Key]*forecast.Result) error {
	w := stdout
	var f *os.File
	if path != "-" {
		// Write beside the target and rename, so a failed run never
		// leaves a half-written forecast file.
		var err error
		f, err = os.CreateTemp(dirOf(path), ".forecastd-*.csv")
		if err != nil {
			return err
		}
		// Renamed over path on success; removed here only when writing failed
		// before the rename, so an error from Remove is nothing to report.
		defer func() { _ = os.Remove(f.Name()) }()
		w = f
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	keys := make([]data.Key, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	if err := cw.Write([]string{"store", "sku", "date", "forecast", "lower", "upper"}); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	for _, k := range keys {
		for _, p := range results[k].Points {
			if err := cw.Write([]string{k.Store, k.SKU, p.Date, num(p.Value), num(p.Lower), num(p.Upper)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(f.Name(), path)
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}
