package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/forecastd/forecastd/data/demo"
)

// runDemo implements `forecastd demo`: writes an M5-shaped synthetic
// sales CSV (data/demo.WriteM5) for tests and benchmarks at any size.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demo.M5Options
	fs.IntVar(&o.Stores, "stores", 10, "stores")
	fs.IntVar(&o.SKUs, "skus", 100, "SKUs per store")
	fs.IntVar(&o.Days, "days", 1941, "days of history (M5 has 1,941)")
	seed := fs.Uint64("seed", 42, "random seed: the same seed and sizes give the same file")
	end := fs.String("end", "2026-10-31", "last date (YYYY-MM-DD)")
	out := fs.String("out", "-", "CSV to write (date,store,sku,quantity,price,promo); - for stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return configError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"stores", o.Stores}, {"skus", o.SKUs}, {"days", o.Days}} {
		if c.v <= 0 {
			return configError{fmt.Errorf("-%s must be positive, got %d", c.name, c.v)}
		}
	}
	if *seed == 0 {
		return configError{errors.New("-seed must not be 0")}
	}
	o.Seed = *seed
	var err error
	if o.End, err = time.Parse("2006-01-02", *end); err != nil {
		return configError{fmt.Errorf("-end: %w", err)}
	}
	start := time.Now()
	st, err := writeM5File(ctx, *out, stdout, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d series, %d rows (%.1f%% zero, %d launched mid-history) in %.1fs\n",
		st.Series, st.Rows, 100*float64(st.Zeros)/float64(max(st.Rows, 1)), st.Launched, time.Since(start).Seconds())
	return nil
}

// writeM5File writes the set to path (beside it, then renamed, so a failed
// run leaves no half-written file) or to stdout for "-".
func writeM5File(ctx context.Context, path string, stdout io.Writer, o demo.M5Options) (demo.M5Stats, error) {
	if path == "-" {
		return demo.WriteM5(ctx, stdout, o)
	}
	f, err := os.CreateTemp(dirOf(path), ".forecastd-demo-*.csv")
	if err != nil {
		return demo.M5Stats{}, err
	}
	// Renamed over path on success; removed here only when writing failed.
	defer func() { _ = os.Remove(f.Name()) }()
	if err := f.Chmod(0o644); err != nil { // CreateTemp's 0600 is for secrets
		_ = f.Close() // already failing
		return demo.M5Stats{}, err
	}
	st, err := demo.WriteM5(ctx, f, o)
	if err != nil {
		_ = f.Close() // the write already failed
		return st, err
	}
	if err := f.Close(); err != nil {
		return st, err
	}
	return st, os.Rename(f.Name(), path)
}
