package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/features"
)

// featuresCommand is `forecastd features` as its flags set it up.
type featuresCommand struct {
	dataPath, outPath string
	describe          bool
	covariates        bool
	freq              data.Frequency // "" to infer
	cfg               features.Config
	cpuProfile        string
	progress          io.Writer
	upload            *ingest.Options
}

// runFeatures implements `forecastd features`: it reads a sales upload,
// assembles one regular series per store/SKU and writes the feature table
// the models see, one row per (store, sku, date), or with -describe a
// per-column summary computed in one streaming pass.
func runFeatures(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	c, err := parseFeaturesFlags(args, stderr)
	if c == nil || err != nil {
		return err
	}
	if c.cpuProfile != "" {
		stop, err := startCPUProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		defer func() {
			if perr := stop(); err == nil {
				err = perr
			}
		}()
	}
	// The rows read are garbage-free floats; what churns is the reader's
	// strings. A larger heap goal halves the collections for a few more
	// MiB of peak memory; restored on return, since run may go on.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	return c.run(ctx, stdout)
}

// parseFeaturesFlags returns the command set up by args, or nil when
// only the usage was asked for.
func parseFeaturesFlags(args []string, stderr io.Writer) (*featuresCommand, error) {
	fs := flag.NewFlagSet("features", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := features.DefaultConfig()
	var (
		dataPath  = fs.String("data", "", "sales CSV: date,store,sku,quantity[,covariates...] (- for stdin)")
		outPath   = fs.String("out", "-", "output CSV (- for stdout)")
		describe  = fs.Bool("describe", false, "print count, mean, std, min and max of every column instead of the table")
		freqName  = fs.String("freq", "", "hourly, daily, weekly or monthly (default: inferred from the dates)")
		lags      = fs.String("lags", joinInts(def.Lags), "comma-separated lags, in steps (empty for none)")
		windows   = fs.String("windows", joinInts(def.Windows), "comma-separated rolling windows, in steps")
		stats     = fs.String("stats", joinStats(def.Stats), "rolling statistics: min,max,mean,std,var,sum,median,zeros")
		quantiles = fs.String("quantiles", "", "rolling quantiles in [0,1], e.g. 0.1,0.9")
		ewm       = fs.String("ewm", "", "alphas of exponentially weighted means, e.g. 0.1,0.5")
		expanding = fs.Bool("expanding", false, "add the expanding mean")
		yearAgo   = fs.Bool("year-ago", def.YearAgo, "add the same period last year")
		calendar  = fs.Bool("calendar", def.Calendar, "add day of week, day of month, week of year and month")
		covs      = fs.Bool("covariates", true, "copy the upload's covariate columns as features")
		fillNaN   = fs.Bool("fill-nan", false, "write 0 for undefined features instead of an empty field")
		quiet     = fs.Bool("quiet", false, "no progress on stderr")
		cpuProf   = fs.String("cpuprofile", "", "write a CPU profile to this file")
		upload    = uploadFlags(fs)
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: forecastd features -data sales.csv [-out features.csv] [-describe] [flags]\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nThe 20 features of bench/features: -lags 1,7,14,28 -windows 7,14,28 -stats min,max,mean,std,sum -year-ago -calendar=false\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, err
	}
	if *dataPath == "" {
		fs.Usage()
		return nil, errors.New("-data is required")
	}
	if err := upload.Validate(true); err != nil {
		return nil, err
	}
	c := &featuresCommand{dataPath: *dataPath, outPath: *outPath, describe: *describe, covariates: *covs,
		cpuProfile: *cpuProf, progress: stderr, upload: upload}
	if *quiet {
		c.progress = io.Discard
	}
	c.cfg = features.Config{YearAgo: *yearAgo, Calendar: *calendar, Expanding: *expanding, FillNaN: *fillNaN}
	var err error
	if c.cfg.Lags, err = parseInts("lags", *lags); err != nil {
		return nil, err
	}
	if c.cfg.Windows, err = parseInts("windows", *windows); err != nil {
		return nil, err
	}
	if c.cfg.Quantiles, err = parseFloats("quantiles", *quantiles); err != nil {
		return nil, err
	}
	if c.cfg.EWMAlphas, err = parseFloats("ewm", *ewm); err != nil {
		return nil, err
	}
	for _, s := range splitList(*stats) {
		c.cfg.Stats = append(c.cfg.Stats, features.Stat(s))
	}
	// Check the feature set before reading what may be a large file; the
	// covariates are added once the header names them.
	if _, err := features.NewBuilder(c.cfg); err != nil {
		return nil, err
	}
	if *freqName != "" {
		if c.freq, err = data.ParseFrequency(*freqName); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close() // the profile's error is the one to report
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("close %s: %w", path, err)
		}
		return nil
	}, nil
}

// run reads the upload, then builds and writes the features.
func (c *featuresCommand) run(ctx context.Context, stdout io.Writer) error {
	begin := time.Now()
	up, err := readUploadFile(ctx, c.dataPath, c.upload)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.progress, "features: read %d rows of %d series from %s in %v\n", up.Rows, len(up.Series), c.dataPath, time.Since(begin).Round(time.Millisecond))
	if c.covariates {
		c.cfg.Covariates = up.Covariates
	}
	b, err := features.NewBuilder(c.cfg)
	if err != nil {
		return err
	}
	freq := c.freq
	if freq == "" {
		if freq, err = ingest.InferFrequency(up.Series); err != nil {
			return fmt.Errorf("%s: %w (give -freq)", c.dataPath, err)
		}
		fmt.Fprintf(c.progress, "features: inferred frequency %s (set -freq to override)\n", freq)
	}
	rows, err := c.write(ctx, stdout, up, b, freq)
	if err != nil {
		return err
	}
	el := time.Since(begin)
	fmt.Fprintf(c.progress, "features: %d rows x %d features in %v (%.0f rows/s)\n", rows, b.NumFeatures(), el.Round(time.Millisecond), float64(rows)/el.Seconds())
	return nil
}

// write builds the features of every series into the table or the
// summary, and writes it to the output.
func (c *featuresCommand) write(ctx context.Context, stdout io.Writer, up *ingest.Upload, b *features.Builder, freq data.Frequency) (int, error) {
	out, closeOut, err := openOutput(c.outPath, stdout)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var (
		sink rowSink
		desc *describer
	)
	if c.describe {
		desc = newDescriber(append([]string{"quantity"}, b.Names()...))
		sink = desc
	} else {
		cw := &csvWriter{w: w, layout: freq.Layout()}
		if err := cw.header(b.Names()); err != nil {
			_ = closeOut() // the write's error is the one to report
			return 0, err
		}
		sink = cw
	}
	rows, err := buildAll(ctx, up, b, freq, sink, c.progress)
	if err != nil {
		err = fmt.Errorf("%s: %w", c.dataPath, err)
	}
	if err == nil && desc != nil {
		err = desc.print(w)
	}
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write %s: %w", c.outPath, ferr)
	}
	if cerr := closeOut(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", c.outPath, cerr)
	}
	return rows, err
}

func openOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	fields := strings.Split(s, ",")
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return slices.DeleteFunc(fields, func(f string) bool { return f == "" })
}

func parseInts(name, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("-%s: %q is not an integer", name, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseFloats(name, s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("-%s: %q is not a number", name, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func joinStats(v []features.Stat) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}
