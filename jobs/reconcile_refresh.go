package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/jobs/record"
)

// refreshRun refreshes series, reconciled again when the job asks for a
// method or, without one, when the published total was reconciled (by
// the method that ran then): a refresh must not leave the aggregates of
// a reconciled job summing the series' old forecasts. Otherwise it is the
// plain refresh.
func (r *Runner) refreshRun(ctx context.Context, id string, p Params, series []*data.Series, sum *tally, prog forecast.Progress) error {
	rows, err := r.storedResults(ctx, series)
	if err != nil {
		return err
	}
	method := p.reconcileMethod()
	if method == hierarchy.None {
		method = reconciledBy(rows[data.Key{Store: hierarchy.Total, SKU: hierarchy.Total}])
	}
	if method == hierarchy.None {
		return r.refresh(ctx, id, series, sum, prog)
	}
	rs := &ReconcileSummary{Method: string(method)}
	defer sum.setReconcile(rs)
	if len(p.Stores) > 0 || len(p.SKUs) > 0 || len(p.Series) > 0 {
		rs.State, rs.Reason = ReconcileSkipped, "a refresh of some series would publish aggregates of those alone: refresh them all to reconcile"
		return r.refresh(ctx, id, series, sum, prog)
	}
	h, aggs, skip, err := r.aggregate(ctx, series, rs)
	if err != nil {
		return err
	}
	if skip != nil {
		rs.State, rs.Reason = ReconcileSkipped, skip.Error()
		return r.refresh(ctx, id, series, sum, prog)
	}
	all := append(aggs, series...)
	outs := make([]*forecast.Outcome, len(all))
	var why string
	for i, s := range all {
		out, err := r.refreshOne(ctx, s, rows[s.Key])
		prog(min(i+1, len(all))*len(series)/len(all), len(series))
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && i >= h.Aggregates():
			sum.fail(s.Key, err, err.Error())
			if why == "" {
				why = fmt.Sprintf("series %s was not refreshed: its aggregates would not sum it", s.Key)
			}
		case err != nil:
			if why == "" {
				why = fmt.Sprintf("aggregate %s: %v (run a training job with reconcile)", s.Key, err)
			}
		default:
			outs[i] = out
		}
	}
	if why != "" {
		rs.State, rs.Reason = ReconcileSkipped, why
	} else if err := reconcileOutcomes(ctx, h, method, outs, nonNegativeAll(series), rs); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rs.State, rs.Reason = ReconcileSkipped, err.Error()
	}
	for i, out := range outs {
		switch {
		case out == nil:
		case i >= h.Aggregates():
			if _, err := r.stageKept(ctx, id, all[i], out, rows[all[i].Key].Models, sum); err != nil {
				return err
			}
		case rs.State != ReconcileSkipped:
			if err := r.stageAggregate(ctx, id, all[i].Key, out); err != nil {
				return err
			}
			rs.Aggregates++
		}
	}
	return nil
}

// storedResults reads the published results of series and of every
// aggregate (a key with an identifier beginning with "_").
func (r *Runner) storedResults(ctx context.Context, series []*data.Series) (map[data.Key]*sqlstore.Result, error) {
	want := make(map[data.Key]bool, len(series))
	for _, s := range series {
		want[s.Key] = true
	}
	rows := map[data.Key]*sqlstore.Result{}
	err := r.Store.ListResults(ctx, func(res *sqlstore.Result) error {
		if want[res.Key] || strings.HasPrefix(res.Key.Store, "_") || strings.HasPrefix(res.Key.SKU, "_") {
			rows[res.Key] = res
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: refresh: %w", err)
	}
	return rows, nil
}

// reconciledBy is the method that reconciled a stored result; None when
// there is none or it was not reconciled.
func reconciledBy(row *sqlstore.Result) hierarchy.Method {
	if row == nil {
		return hierarchy.None
	}
	var res forecast.Result
	if err := record.DecodeResultServed(row.Body, &res); err != nil {
		return hierarchy.None
	}
	m, err := hierarchy.ParseMethod(res.Reconciled)
	if err != nil {
		return hierarchy.None
	}
	return m
}

// refreshOne re-predicts s from its published result's kept models, as
// the plain refresh does, leaving out quarantined ones.
func (r *Runner) refreshOne(ctx context.Context, s *data.Series, row *sqlstore.Result) (*forecast.Outcome, error) {
	if row == nil {
		return nil, fmt.Errorf("no published forecast to refresh")
	}
	var prev forecast.Result
	var kept []forecast.Kept
	if err := record.Result.Decode(row.Body, &prev); err != nil {
		return nil, err
	}
	if err := record.Kept.Decode(row.Models, &kept); err != nil {
		return nil, err
	}
	use, left := r.withoutQuarantined(kept)
	if len(use) == 0 && len(left) > 0 {
		return nil, fmt.Errorf("every kept model is quarantined (%s)", strings.Join(left, ", "))
	}
	out, err := forecast.Refresh(ctx, s, &prev, use, r.Registry)
	if err != nil {
		return nil, err
	}
	out.Kept = kept
	return out, nil
}
