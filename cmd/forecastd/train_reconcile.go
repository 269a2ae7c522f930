package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/jobs"
)

// runReconciled is `forecastd train -reconcile METHOD`: it trains the
// series and the aggregates above them (total, stores, SKUs across
// stores, and per value of each attribute of -attributes, across stores
// and per store), reconciles every forecast as a job with reconcile does
// (jobs.ReconcileOutcomes), and writes the series and the aggregates,
// keyed as the service publishes them (_total, _name=value). A
// reconciliation that did less than asked (degraded or skipped) is said
// on stderr and exits non-zero, like a failed series.
func (c *trainCommand) runReconciled(ctx context.Context, series []*data.Series, start time.Time) error {
	keys := make([]data.Key, len(series))
	for i, s := range series {
		keys[i] = s.Key
	}
	attrs, err := readAttributes(c.attrsPath)
	if err != nil {
		return err
	}
	if len(series) > hierarchy.MaxBottom {
		return fmt.Errorf("-reconcile: %d series, at most %d can be reconciled (limit hierarchy.MaxBottom)", len(series), hierarchy.MaxBottom)
	}
	h, err := hierarchy.NewGrouped(keys, attrs)
	if err != nil {
		return fmt.Errorf("-reconcile: %w", err)
	}
	aggs, err := hierarchy.AggregateSeries(h, series)
	if err != nil {
		return fmt.Errorf("-reconcile: %w", err)
	}
	all := append(aggs, series...)
	fmt.Fprintf(c.stderr, "read %d series in %.1fs; training them and %d aggregates (%d candidates, %d folds, horizon %d), reconcile %s\n",
		len(series), time.Since(start).Seconds(), len(aggs), len(c.opts.Candidates), c.opts.Windows, c.opts.Horizon, c.reconcile)
	node := make(map[data.Key]int, len(all))
	for i, s := range all {
		node[s.Key] = i
	}
	outs := make([]*forecast.Outcome, len(all))
	sum := &forecast.Summary{}
	var aggErr error
	err = forecast.Run(ctx, all, c.opts, func(s *data.Series, out *forecast.Outcome, err error) error {
		i := node[s.Key]
		if i >= h.Aggregates() {
			if sum.Add(s.Key, out, err) == forecast.ClassFailed {
				return nil
			}
		} else if err != nil {
			aggErr = errors.Join(aggErr, fmt.Errorf("aggregate %s: %w", s.Key, err))
			return nil
		}
		outs[i] = out
		return nil
	}, c.progress(time.Now()))
	if err != nil {
		return err
	}
	var rs *jobs.ReconcileSummary
	switch {
	case sum.Failed > 0:
		err = fmt.Errorf("reconcile %s skipped: %d series failed, their aggregates would not sum them", c.reconcile, sum.Failed)
	case aggErr != nil:
		err = fmt.Errorf("reconcile %s skipped: %w", c.reconcile, aggErr)
	default:
		rs, err = jobs.ReconcileOutcomes(ctx, h, c.reconcile, outs, nonNegative(series))
		if err == nil && rs.State != jobs.ReconcileDone {
			err = fmt.Errorf("reconcile %s %s: %s", rs.Method, rs.State, rs.Reason)
		}
	}
	results := make(map[data.Key]*forecast.Result, len(all))
	for i, out := range outs {
		// Without a reconciliation only the series are written: the
		// aggregates would not be their sums.
		if out != nil && (rs != nil || i >= h.Aggregates()) {
			results[all[i].Key] = out.Result
		}
	}
	if werr := writeForecasts(c.outPath, c.stdout, results); werr != nil {
		return werr
	}
	if rs != nil {
		fmt.Fprintf(c.stderr, "reconcile: %s ran (%s); %d aggregates written, %d negative values clipped\n", rs.Ran, rs.State, len(aggs), rs.Clipped)
	}
	fmt.Fprintf(c.stderr, "wrote %d forecasts (%d series failed) in %.1fs\n", len(results), sum.Failed, time.Since(start).Seconds())
	return errors.Join(c.report(sum), err)
}

// readAttributes reads a CSV of series attributes (store,sku and
// attribute columns, as POST /v1/series/attributes takes); nil for no
// file.
func readAttributes(path string) (hierarchy.SeriesAttributes, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	list, err := ingest.ParseAttributesCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	attrs := hierarchy.SeriesAttributes{}
	for _, a := range list {
		if attrs[a.Key] == nil {
			attrs[a.Key] = map[string]string{}
		}
		attrs[a.Key][a.Name] = a.Value
	}
	return attrs, nil
}

// nonNegative reports whether every value of every series is >= 0
// (counts), so the reconciled forecasts are clipped at zero.
func nonNegative(series []*data.Series) bool {
	for _, s := range series {
		for _, v := range s.Values {
			if !(v >= 0) {
				return false
			}
		}
	}
	return true
}
