package jobs_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/jobs"
)

// A refresh of a reconciled job's series is reconciled again, by the
// method that ran, with the attribute levels: the aggregates forecast the
// new dates and sum the refreshed series to 1e-6. A refresh of some of
// the series does not publish partial sums, and says why.
func TestReconcileRefresh(t *testing.T) {
	ctx := context.Background()
	jr := directRunner(t)
	hierarchyData(t, jr.store)
	keys, err := jr.store.ListKeys(ctx, sqlstore.SeriesFilter{}, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var attrs []data.Attribute
	for i, k := range keys {
		attrs = append(attrs, data.Attribute{Key: k, Name: "dept", Value: []string{"D1", "D2"}[i%2]})
	}
	if _, err := jr.store.SetAttributes(ctx, attrs); err != nil {
		t.Fatal(err)
	}
	j := jr.run(t, reconcileJob("mint_wls"))
	if rs := j.Summary.Reconcile; j.State != sqlstore.JobSucceeded || rs.State != jobs.ReconcileDone || rs.Aggregates != 6+2+4 {
		t.Fatalf("train: %s %+v", j.State, rs)
	}
	total := data.Key{Store: hierarchy.Total, SKU: hierarchy.Total}
	before := result(t, jr.store, total).Points[0].Date
	// A week of new sales for every series.
	last := result(t, jr.store, keys[0]).LastDate
	end, err := time.Parse("2006-01-02", last)
	if err != nil {
		t.Fatal(err)
	}
	var obs []data.Observation
	for _, k := range keys {
		for d := 1; d <= 7; d++ {
			obs = append(obs, data.Observation{Key: k, Date: end.AddDate(0, 0, d), Quantity: float64(3 + d)})
		}
	}
	ingestBare(t, jr.store, obs)
	j = jr.run(t, `{"kind": "refresh", "horizon": 14}`)
	rs := j.Summary.Reconcile
	if j.State != sqlstore.JobSucceeded || rs == nil || rs.State != jobs.ReconcileDone || rs.Ran != "mint_wls" || rs.Aggregates != 6+2+4 {
		t.Fatalf("refresh: %s %q, reconcile %+v", j.State, j.Error, rs)
	}
	if after := result(t, jr.store, total).Points[0].Date; after == before {
		t.Fatalf("the total still forecasts from %s", after)
	}
	checkCoherent(t, jr.store, "mint_wls")
	d1 := make([]float64, 14)
	for i, k := range keys {
		if i%2 == 0 {
			for s, p := range result(t, jr.store, k).Points {
				d1[s] += p.Value
			}
		}
	}
	for s, p := range result(t, jr.store, hierarchy.AttributeKey("", "dept", "D1")).Points {
		if math.Abs(p.Value-d1[s]) > 1e-6 {
			t.Fatalf("dept D1 step %d = %g, its series sum to %g", s, p.Value, d1[s])
		}
	}
	j = jr.run(t, `{"kind": "refresh", "horizon": 14, "stores": ["S01"]}`)
	if rs := j.Summary.Reconcile; rs == nil || rs.State != jobs.ReconcileSkipped || rs.Aggregates != 0 {
		t.Fatalf("filtered refresh: reconcile %+v", rs)
	}
	if res := result(t, jr.store, data.Key{Store: "S01", SKU: keys[0].SKU}); res.Reconciled != "" {
		t.Fatalf("a refreshed series not reconciled says %q", res.Reconciled)
	}
}
