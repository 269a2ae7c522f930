package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
)

// trainBatch is how many series `forecastd train` assembles, trains and
// writes at once when it streams: a global group, as a job's batch
// (jobs.DefaultBatchSize); the first batch's global models serve the
// others.
var trainBatch = forecast.MaxGlobalGroup // a variable so tests can batch a small file

// errNotGrouped stops a streamed read: a series' rows are not together,
// so the file must be read whole.
var errNotGrouped = errors.New("the rows of a series are not together")

// streamable reports whether train can stream its input: a file (it may
// need a second reading) whose plan, if any, is read whole anyway.
func (c *trainCommand) streamable() bool {
	return c.dataPath != "-" && c.planPath == "" && c.reconcile == hierarchy.None // aggregates need every series
}

// runStreamed trains a sales file whose rows come grouped by series (as
// `forecastd demo`, exports by item and most warehouses write them) in
// batches of trainBatch series: it reads a batch's rows, assembles and
// trains its series, and appends their forecasts to the output (sorted
// within the batch) before reading on, so memory holds one batch whatever
// the file's size (issue 20). The frequency, unless -freq gives it, is
// inferred first by one reading that keeps only the longest series'
// dates, by the rule the whole-file path applies. It returns
// errNotGrouped, having written nothing, when a series' rows are apart.
func (c *trainCommand) runStreamed(ctx context.Context, start time.Time) error {
	total, err := c.checkGrouped()
	if err != nil {
		return err
	}
	freq, err := c.streamFrequency()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "streaming %d series (%s) in batches of %d; training %d candidates, %d folds, horizon %d\n",
		total, freq, trainBatch, len(c.opts.Candidates), c.opts.Windows, c.opts.Horizon)
	trainStart := time.Now()
	out, err := newForecastWriter(c.outPath, c.stdout)
	if err != nil {
		return err
	}
	defer out.discard()
	sum := &forecast.Summary{}
	var batch []*data.Series
	var obs []data.Observation
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if c.opts.Pool == nil && total > len(batch) {
			// More than one batch: the global candidates' models are
			// trained once, on the first, and serve every batch, as a
			// job's pool (forecast.Pool) serves its batches: the file
			// cannot be sampled before it is read.
			pool, err := forecast.TrainPool(ctx, batch, c.opts)
			if err != nil {
				return err
			}
			c.opts.Pool = pool
		}
		results := make(map[data.Key]*forecast.Result, len(batch))
		err := forecast.Run(ctx, batch, c.opts, func(s *data.Series, o *forecast.Outcome, err error) error {
			if sum.Add(s.Key, o, err) != forecast.ClassFailed {
				results[s.Key] = o.Result
			}
			return nil
		}, nil)
		if err != nil {
			return err
		}
		n += len(batch)
		el := time.Since(trainStart)
		eta := time.Duration(float64(el) / float64(n) * float64(total-n))
		fmt.Fprintf(c.stderr, "\r%d/%d series, %s elapsed, eta %s   ", n, total, el.Round(time.Second), eta.Round(time.Second))
		clear(batch)
		batch = batch[:0]
		return out.write(results)
	}
	endSeries := func() error {
		if len(obs) == 0 {
			return nil
		}
		s, err := ingest.Assemble(obs, freq)
		if err != nil {
			return fmt.Errorf("%s: %w", c.dataPath, err)
		}
		obs = obs[:0]
		batch = append(batch, s...)
		if len(batch) >= trainBatch {
			return flush()
		}
		return nil
	}
	err = c.eachRow(func(o data.Observation) error {
		if len(obs) > 0 && o.Key != obs[0].Key {
			if err := endSeries(); err != nil {
				return err
			}
		}
		obs = append(obs, o)
		return nil
	})
	if err == nil {
		err = endSeries()
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stderr)
	if err := out.commit(); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "wrote %d forecasts (%d series failed) in %.1fs, streamed in batches of %d series\n",
		sum.Total-sum.Failed, sum.Failed, time.Since(start).Seconds(), trainBatch)
	return c.report(sum)
}

// eachRow reads the sales file's rows, in order, with the upload's rules.
func (c *trainCommand) eachRow(fn func(data.Observation) error) error {
	f, err := os.Open(c.dataPath)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only
	if _, err := ingest.ParseCSVWith(f, c.upload, fn); err != nil {
		if errors.Is(err, errNotGrouped) {
			return err
		}
		return fmt.Errorf("%s: %w", c.dataPath, err)
	}
	return nil
}

// checkGrouped reads the file once, keeping the keys it has finished, and
// returns the number of series, or errNotGrouped when a finished key
// comes back.
func (c *trainCommand) checkGrouped() (int, error) {
	done := map[data.Key]struct{}{}
	var cur data.Key
	first := true
	err := c.eachRow(func(o data.Observation) error {
		if first || o.Key != cur {
			if _, ok := done[o.Key]; ok {
				return errNotGrouped
			}
			if !first {
				done[cur] = struct{}{}
			}
			cur, first = o.Key, false
		}
		return nil
	})
	return len(done) + 1, err
}

// streamFrequency is -freq, or the frequency of the longest series (the
// first by key among equals), as ingest.InferFrequency has it.
func (c *trainCommand) streamFrequency() (data.Frequency, error) {
	if c.freqName != "" {
		return data.ParseFrequency(c.freqName)
	}
	var best, cur []int64
	var bestKey, curKey data.Key
	end := func() {
		slices.Sort(cur)
		cur = slices.Compact(cur)
		if best == nil || len(cur) > len(best) || (len(cur) == len(best) && curKey.Less(bestKey)) {
			best, cur, bestKey = cur, best[:0], curKey
		}
		cur = cur[:0]
	}
	first := true
	err := c.eachRow(func(o data.Observation) error {
		if !first && o.Key != curKey {
			end()
		}
		first, curKey = false, o.Key
		cur = append(cur, o.Date.Unix())
		return nil
	})
	if err != nil {
		return "", err
	}
	if first {
		return "", fmt.Errorf("%s: no rows after the header", c.dataPath)
	}
	end()
	ts := make([]time.Time, len(best))
	for i, d := range best {
		ts[i] = time.Unix(d, 0).UTC()
	}
	freq, err := data.InferFrequency(ts)
	if err != nil {
		return "", fmt.Errorf("%s: %w (give -freq)", c.dataPath, err)
	}
	return freq, nil
}

// forecastWriter writes forecast rows as batches come, to a file beside
// the target renamed over it by commit, so a failed run never leaves a
// half-written forecast file; or to stdout for "-".
type forecastWriter struct {
	f    *os.File
	path string
	bw   *bufio.Writer
	cw   *csv.Writer
}

func newForecastWriter(path string, stdout interface{ Write([]byte) (int, error) }) (*forecastWriter, error) {
	w := &forecastWriter{path: path}
	var dst interface{ Write([]byte) (int, error) } = stdout
	if path != "-" {
		f, err := os.CreateTemp(dirOf(path), ".forecastd-*.csv")
		if err != nil {
			return nil, err
		}
		w.f, dst = f, f
	}
	w.bw = bufio.NewWriter(dst)
	w.cw = csv.NewWriter(w.bw)
	if err := w.cw.Write([]string{"store", "sku", "date", "forecast", "lower", "upper"}); err != nil {
		w.discard()
		return nil, err
	}
	return w, nil
}

// write appends the forecasts of one batch, by key.
func (w *forecastWriter) write(results map[data.Key]*forecast.Result) error {
	keys := make([]data.Key, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b data.Key) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	for _, k := range keys {
		for _, p := range results[k].Points {
			if err := w.cw.Write([]string{k.Store, k.SKU, p.Date, num(p.Value), num(p.Lower), num(p.Upper)}); err != nil {
				return err
			}
		}
	}
	w.cw.Flush()
	return w.cw.Error()
}

// commit flushes and, for a file, renames it over the target.
func (w *forecastWriter) commit() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.f == nil {
		return nil
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), w.path); err != nil {
		return err
	}
	w.f = nil
	return nil
}

// discard removes the temporary file unless it was committed.
func (w *forecastWriter) discard() {
	if w.f == nil {
		return
	}
	_ = w.f.Close()           // scratch, failed already
	_ = os.Remove(w.f.Name()) // scratch
	w.f = nil
}
