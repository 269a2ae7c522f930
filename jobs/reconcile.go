package jobs

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/jobs/record"
)

// ReconcileSummary says what the hierarchical reconciliation of a job
// did (issue 18): which method was asked and which ran, how many
// aggregate series (stores, SKUs across stores, the total) it trained and
// published under keys with hierarchy.Total, and why it did less than
// asked when it did.
type ReconcileSummary struct {
	// Method is the method asked; Ran the one that ran ("" when none).
	Method string `json:"method"`
	Ran    string `json:"ran,omitempty"`
	// State is ReconcileDone, ReconcileDegraded (another method ran:
	// Reason says why) or ReconcileSkipped (no aggregates published: the
	// series are as the tournaments forecast them; Reason says why).
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Aggregates is the number of aggregate series published.
	Aggregates int `json:"aggregates"`
	// Attributes names the series attributes that added levels (one
	// node per value, across stores and per store), published under
	// hierarchy.AttributeKey; absent when the series have none.
	Attributes []string `json:"attributes,omitempty"`
	// ResidualRows is the number of backtest error samples (fold x
	// step) common to every series, from which the error covariance was
	// estimated; Lambda its shrinkage intensity (absent without them).
	ResidualRows int      `json:"residual_rows"`
	Lambda       *float64 `json:"lambda,omitempty"`
	// Clipped counts the reconciled bottom values (series x step) that
	// were negative and set to zero, for series of counts.
	Clipped int `json:"clipped"`
}

// The states of a reconciliation.
const (
	ReconcileDone     = "reconciled"
	ReconcileDegraded = "degraded"
	ReconcileSkipped  = "skipped"
)

// reconciles reports whether p asks for a reconciliation.
func (p Params) reconciles() bool {
	m, err := hierarchy.ParseMethod(p.Reconcile)
	return err == nil && m != hierarchy.None
}

// setReconcile records what the reconciliation did.
func (t *tally) setReconcile(rs *ReconcileSummary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Reconcile = rs
}

// aggregate builds the hierarchy of series (their stores, SKUs and
// stored attributes, which it names in rs) and its aggregate series. A
// hierarchy that cannot be built or reconciled (too many series, series
// ending on different dates) is skip, the reason the job goes on
// unreconciled; err is a failure to read the attributes.
func (r *Runner) aggregate(ctx context.Context, series []*data.Series, rs *ReconcileSummary) (h *hierarchy.Hierarchy, aggs []*data.Series, skip, err error) {
	keys := make([]data.Key, len(series))
	for i, s := range series {
		keys[i] = s.Key
	}
	attrs, err := r.seriesAttributes(ctx, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	rs.Attributes = attributeNames(attrs)
	if len(series) > hierarchy.MaxBottom {
		return nil, nil, fmt.Errorf("%d series: at most %d can be reconciled in one job (filter by stores or skus)", len(series), hierarchy.MaxBottom), nil
	}
	h, skip = hierarchy.NewGrouped(keys, attrs)
	if skip == nil {
		aggs, skip = hierarchy.AggregateSeries(h, series)
	}
	return h, aggs, skip, nil
}

// trainReconciled trains the series and the aggregates above them (their
// sums per store, per SKU and in total), reconciles every forecast by
// method, and stages them all. The series must share their frequency and
// last date, every tournament must succeed, or the job is trained
// without reconciliation and the summary says why (ReconcileSkipped).
func (r *Runner) trainReconciled(ctx context.Context, id string, p Params, method hierarchy.Method, series []*data.Series, sum *tally, prog forecast.Progress) error {
	rs := &ReconcileSummary{Method: string(method)}
	defer sum.setReconcile(rs)
	plain := p
	plain.Reconcile = ""
	h, aggs, skip, err := r.aggregate(ctx, series, rs)
	if err != nil {
		return err
	}
	if skip != nil {
		rs.State, rs.Reason = ReconcileSkipped, skip.Error()
		return r.train(ctx, id, plain, series, sum, prog)
	}
	specs, err := r.candidates(p)
	if err != nil {
		return err
	}
	o := p.options()
	o.Candidates, o.Workers = specs, r.Workers
	all := append(aggs, series...)
	node := make(map[data.Key]int, len(all))
	for i, s := range all {
		node[s.Key] = i
	}
	outs := make([]*forecast.Outcome, len(all))
	var aggFailed string
	nb := len(series)
	err = forecast.Run(ctx, all, o, func(s *data.Series, out *forecast.Outcome, err error) error {
		i := node[s.Key]
		switch {
		case err != nil && i >= h.Aggregates():
			sum.fail(s.Key, err, fmt.Sprintf("%s: %v", s.Key, err))
		case err != nil:
			if aggFailed == "" {
				aggFailed = fmt.Sprintf("aggregate %s failed: %v", s.Key, err)
			}
		default:
			outs[i] = out
		}
		return nil
	}, func(done, total int) { prog(done*nb/total, nb) })
	if err != nil {
		return err
	}
	if f, _ := sum.failures(); f > 0 {
		rs.State, rs.Reason = ReconcileSkipped, fmt.Sprintf("%d series failed: their aggregates would not sum them", f)
	} else if aggFailed != "" {
		rs.State, rs.Reason = ReconcileSkipped, aggFailed
	} else if err := reconcileOutcomes(ctx, h, method, outs, nonNegativeAll(series), rs); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A numerical failure (a covariance that is not positive
		// definite) leaves the forecasts as trained: publish those.
		rs.State, rs.Reason = ReconcileSkipped, err.Error()
	}
	check := r.newInRunCheck(r.logger().With("job_id", id, "kind", p.Kind.String()), specs)
	check.keepResults = true // outs holds every outcome until the loop ends
	check.hold(all)
	for i, out := range outs {
		if out == nil {
			continue
		}
		k := all[i].Key
		if i >= h.Aggregates() {
			n, err := r.stageSized(ctx, id, all[i], out, sum)
			if err != nil {
				return err
			}
			check.staged(ctx, n)
			continue
		}
		if rs.State == ReconcileSkipped {
			continue
		}
		if err := r.stageAggregate(ctx, id, k, out); err != nil {
			return err
		}
		rs.Aggregates++
	}
	return nil
}

// attributeSource is a store that keeps series attributes
// (*sqlstore.Store does): a reconciled job adds their levels. A store
// without them reconciles total, store and SKU only.
type attributeSource interface {
	AttributesOf(ctx context.Context, keys []data.Key) (map[data.Key]map[string]string, error)
}

// The store of every backend keeps attributes: a renamed method must not
// silently drop the attribute levels.
var _ attributeSource = (*sqlstore.Store)(nil)

// seriesAttributes reads the attributes of keys from the store, nil when
// it keeps none.
func (r *Runner) seriesAttributes(ctx context.Context, keys []data.Key) (hierarchy.SeriesAttributes, error) {
	src, ok := r.Store.(attributeSource)
	if !ok {
		return nil, nil
	}
	m, err := src.AttributesOf(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("jobs: reconcile: %w", err)
	}
	return m, nil
}

// attributeNames lists the attribute names of attrs, sorted.
func attributeNames(attrs hierarchy.SeriesAttributes) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range attrs {
		for n := range m {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// stageAggregate stores an aggregate's outcome without counting it among
// the job's series.
func (r *Runner) stageAggregate(ctx context.Context, id string, k data.Key, out *forecast.Outcome) error {
	kept, err := record.Kept.Encode(&out.Kept)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", k, err)
	}
	body, err := record.Result.Encode(out.Result)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", k, err)
	}
	return r.Store.StageResult(ctx, id, k, body, kept)
}

func nonNegativeAll(series []*data.Series) bool {
	for _, s := range series {
		for _, v := range s.Values {
			if !(v >= 0) {
				return false
			}
		}
	}
	return true
}

// ReconcileOutcomes reconciles outs (one per node of h, in its order,
// as forecast.Run returned them, backtest errors included) in place, as a
// job with reconcile does, and says what ran: the batch `forecastd train
// -reconcile` shares the job's rules (mint_shrink without two rows of
// errors degrades to mint_wls).
func ReconcileOutcomes(ctx context.Context, h *hierarchy.Hierarchy, method hierarchy.Method, outs []*forecast.Outcome, nonNeg bool) (*ReconcileSummary, error) {
	rs := &ReconcileSummary{Method: string(method), Aggregates: h.Aggregates()}
	if err := reconcileOutcomes(ctx, h, method, outs, nonNeg, rs); err != nil {
		return nil, err
	}
	return rs, nil
}

// reconcileOutcomes reconciles the forecasts of outs (one per node of h,
// in its order) in place, by method or, when method needs residuals the
// outcomes lack, by mint_wls, recording what ran in rs.
func reconcileOutcomes(ctx context.Context, h *hierarchy.Hierarchy, method hierarchy.Method, outs []*forecast.Outcome, nonNeg bool, rs *ReconcileSummary) error {
	n := len(outs)
	steps := len(outs[0].Result.Points)
	in := hierarchy.Input{Base: make([][]float64, n), Radius80: make([][]float64, n), Radius95: make([][]float64, n), NonNegative: nonNeg}
	for i, out := range outs {
		in.Base[i], in.Radius80[i], in.Radius95[i] = make([]float64, steps), make([]float64, steps), make([]float64, steps)
		for t, pt := range out.Result.Points {
			in.Base[i][t], in.Radius80[i][t], in.Radius95[i][t] = pt.Value, pt.Upper-pt.Value, pt.Upper95-pt.Value
		}
	}
	in.Residuals, rs.ResidualRows = residualMatrix(outs)
	ran, state, reason := method, ReconcileDone, ""
	if method == hierarchy.MinTShrink && rs.ResidualRows < 2 {
		ran, state = hierarchy.MinTWLS, ReconcileDegraded
		reason = fmt.Sprintf("%d backtest error samples common to all %d series (fallback series and refreshes have none): mint_shrink needs 2, mint_wls ran", rs.ResidualRows, n)
	}
	res, err := hierarchy.Reconcile(ctx, h, ran, in)
	if err != nil {
		return fmt.Errorf("jobs: reconcile %s: %w", ran, err)
	}
	rs.Ran, rs.State, rs.Reason, rs.Clipped = string(ran), state, reason, res.Clipped
	if !math.IsNaN(res.Lambda) {
		l := res.Lambda
		rs.Lambda = &l
	}
	for i, out := range outs {
		for t := range out.Result.Points {
			pt := &out.Result.Points[t]
			v, r80, r95 := res.Points[i][t], res.Radius80[i][t], res.Radius95[i][t]
			pt.Value, pt.Lower, pt.Upper, pt.Lower95, pt.Upper95 = v, v-r80, v+r80, v-r95, v+r95
			if nonNeg {
				pt.Lower, pt.Lower95 = max(pt.Lower, 0), max(pt.Lower95, 0)
			}
		}
		out.Result.Reconciled = string(ran)
	}
	return nil
}

// residualMatrix lines up the outcomes' backtest errors: one row per
// (fold origin, step) that every outcome has, one column per outcome. It
// returns nil and 0 when there is no such row.
func residualMatrix(outs []*forecast.Outcome) (*mat.Dense, int) {
	type row struct {
		origin string
		step   int
	}
	byOrigin := make([]map[string][]float64, len(outs))
	for i, out := range outs {
		byOrigin[i] = make(map[string][]float64, len(out.Residuals))
		for _, f := range out.Residuals {
			byOrigin[i][f.Origin] = f.Errors
		}
	}
	var rows []row
	for _, f := range outs[0].Residuals {
		for k := range f.Errors {
			ok := true
			for i := range outs {
				if e, has := byOrigin[i][f.Origin]; !has || len(e) <= k {
					ok = false
					break
				}
			}
			if ok {
				rows = append(rows, row{f.Origin, k})
			}
		}
	}
	if len(rows) == 0 {
		return nil, 0
	}
	m := mat.NewDense(len(rows), len(outs), nil)
	for r, rw := range rows {
		for i := range outs {
			m.Set(r, i, byOrigin[i][rw.origin][rw.step])
		}
	}
	return m, len(rows)
}

// reconcileText is the part of a succeeded job's message that says the
// reconciliation did less than asked; "" when it did what was asked or
// none was asked.
func reconcileText(s *Summary) string {
	rs := s.Reconcile
	if rs == nil || rs.State == ReconcileDone {
		return ""
	}
	return fmt.Sprintf("reconcile %s %s: %s", rs.Method, rs.State, rs.Reason)
}
