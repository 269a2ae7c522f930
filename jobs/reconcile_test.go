package jobs_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/models"
)

func reconcileJob(method string) string {
	return fmt.Sprintf(`{"horizon": 14, "top_k": 2, "models": ["naive", "seasonal_naive", "ses"], "reconcile": %q}`, method)
}

// hierarchyData stores 2 stores x 3 SKUs of demo sales.
func hierarchyData(t *testing.T, store *sqlstore.Store) {
	t.Helper()
	ingestBare(t, store, demo.Sales(demo.Options{Stores: 2, SKUs: 3, Days: 120}))
}

// ingestBare stores the observations of every set, their covariates
// dropped.
func ingestBare(t *testing.T, store *sqlstore.Store, sets ...[]data.Observation) {
	t.Helper()
	var all []data.Observation
	for _, obs := range sets {
		all = append(all, obs...)
	}
	for i := range all {
		all[i].Covariates = nil
	}
	if _, err := store.Ingest(context.Background(), data.Each(all)); err != nil {
		t.Fatal(err)
	}
}

// checkCoherent checks that the published aggregates of a reconciled job
// are the sums of its published series, to 1e-6, and name the method.
func checkCoherent(t *testing.T, store *sqlstore.Store, method string) {
	t.Helper()
	ctx := context.Background()
	infos, err := store.ListSeries(ctx, "", data.Key{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[data.Key][]float64{}
	for _, in := range infos {
		key := data.Key{Store: in.Store, SKU: in.SKU}
		res := result(t, store, key)
		if res.Reconciled != method {
			t.Fatalf("%s reconciled by %q, want %q", key, res.Reconciled, method)
		}
		for _, k := range []data.Key{{Store: hierarchy.Total, SKU: hierarchy.Total}, {Store: in.Store, SKU: hierarchy.Total}, {Store: hierarchy.Total, SKU: in.SKU}} {
			if sums[k] == nil {
				sums[k] = make([]float64, len(res.Points))
			}
			for i, p := range res.Points {
				if p.Value < 0 || p.Lower < 0 || p.Lower > p.Value || p.Upper < p.Value {
					t.Fatalf("%s step %d: %+v", key, i, p)
				}
				sums[k][i] += p.Value
			}
		}
	}
	if len(sums) != 6 {
		t.Fatalf("%d aggregates from the series, want 6", len(sums))
	}
	for k, want := range sums {
		res := result(t, store, k)
		if res.Reconciled != method || len(res.Points) != 14 {
			t.Fatalf("%s: reconciled %q, %d points", k, res.Reconciled, len(res.Points))
		}
		for i, p := range res.Points {
			if math.Abs(p.Value-want[i]) > 1e-6 {
				t.Fatalf("%s step %d: %g, its series sum to %g", k, i, p.Value, want[i])
			}
		}
	}
}

func TestReconcileJob(t *testing.T) {
	jr := directRunner(t)
	hierarchyData(t, jr.store)
	for _, m := range hierarchy.Methods[1:] {
		t.Run(string(m), func(t *testing.T) {
			j := jr.run(t, reconcileJob(string(m)))
			if j.State != sqlstore.JobSucceeded || j.Summary == nil || j.Summary.Reconcile == nil {
				t.Fatalf("job %s, summary %+v", j.State, j.Summary)
			}
			rs := j.Summary.Reconcile
			if rs.State != jobs.ReconcileDone || rs.Ran != string(m) || rs.Aggregates != 6 || j.Summary.Trained != 6 {
				t.Fatalf("reconcile summary %+v, trained %d", rs, j.Summary.Trained)
			}
			if rs.ResidualRows != 3*14 || rs.Lambda == nil {
				t.Fatalf("residual rows %d (want 3 folds x 14), lambda %v", rs.ResidualRows, rs.Lambda)
			}
			checkCoherent(t, jr.store, string(m))
		})
	}
	// The default trains the series alone and says nothing of it.
	j := jr.run(t, `{"horizon": 14, "top_k": 2, "models": ["naive", "seasonal_naive", "ses"]}`)
	if j.Summary.Reconcile != nil {
		t.Fatalf("reconcile summary %+v without reconcile", j.Summary.Reconcile)
	}
}

// Through the fan-out, a reconciled job runs as one partition: the
// aggregates need every series.
func TestReconcileJobFanOut(t *testing.T) {
	on := true
	jr := serverRunner(startServer(t, jobs.Backend{FanOut: &on, PartitionSize: 2}, 1))
	hierarchyData(t, jr.store)
	j := jr.run(t, reconcileJob("mint_shrink"))
	if j.State != sqlstore.JobSucceeded || j.Summary.Reconcile == nil || j.Summary.Reconcile.Aggregates != 6 {
		t.Fatalf("job %s %q, summary %+v", j.State, j.Error, j.Summary)
	}
	checkCoherent(t, jr.store, "mint_shrink")
}

// Series that end on different dates have no common forecast dates: the
// job trains them alone and says why.
func TestReconcileSkipped(t *testing.T) {
	jr := directRunner(t)
	obs := demo.Sales(demo.Options{Stores: 1, SKUs: 2, Days: 90})
	obs2 := demo.Sales(demo.Options{Stores: 1, SKUs: 1, Days: 90, End: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)})
	for i := range obs2 {
		obs2[i].Key.Store = "S9"
	}
	ingestBare(t, jr.store, obs, obs2)
	j := jr.run(t, reconcileJob("bottom_up"))
	rs := j.Summary.Reconcile
	if j.State != sqlstore.JobSucceeded || rs == nil || rs.State != jobs.ReconcileSkipped || rs.Aggregates != 0 ||
		!strings.Contains(rs.Reason, "same dates") || !strings.Contains(j.Error, "reconcile bottom_up skipped") {
		t.Fatalf("job %s %q, reconcile %+v", j.State, j.Error, rs)
	}
	if _, err := jr.store.GetResult(context.Background(), data.Key{Store: hierarchy.Total, SKU: hierarchy.Total}); err == nil {
		t.Fatal("a skipped reconciliation published the total")
	}
}

func TestReconcileParam(t *testing.T) {
	_, err := jobs.DecodeParams([]byte(`{"horizon": 7, "reconcile": "mint"}`), models.Standard())
	if err == nil || !strings.Contains(err.Error(), `reconcile "mint"`) || !strings.Contains(err.Error(), "mint_shrink") {
		t.Fatalf("error %v", err)
	}
	p, err := jobs.DecodeParams([]byte(`{"horizon": 7, "reconcile": "none"}`), models.Standard())
	if err != nil || p.Reconcile != "none" {
		t.Fatalf("%+v, %v", p, err)
	}
}

// A series too short for a backtest falls back and has no backtest
// errors, so there is no error covariance: mint_shrink degrades to
// mint_wls, and the job says so; the forecasts are still coherent.
func TestReconcileDegraded(t *testing.T) {
	jr := directRunner(t)
	obs := demo.Sales(demo.Options{Stores: 1, SKUs: 2, Days: 90})
	short := demo.Sales(demo.Options{Stores: 1, SKUs: 1, Days: 10})
	for i := range short {
		short[i].Key.SKU = "NEW"
	}
	ingestBare(t, jr.store, obs, short)
	j := jr.run(t, reconcileJob("mint_shrink"))
	rs := j.Summary.Reconcile
	if j.State != sqlstore.JobSucceeded || rs == nil || rs.State != jobs.ReconcileDegraded || rs.Ran != "mint_wls" ||
		rs.Aggregates != 1+1+3 || !strings.Contains(j.Error, "reconcile mint_shrink degraded") {
		t.Fatalf("job %s %q, reconcile %+v", j.State, j.Error, rs)
	}
	var sum [14]float64
	for _, sku := range []string{"SKU001", "SKU002", "NEW"} {
		for i, p := range result(t, jr.store, data.Key{Store: "S01", SKU: sku}).Points {
			sum[i] += p.Value
		}
	}
	total := result(t, jr.store, data.Key{Store: hierarchy.Total, SKU: hierarchy.Total})
	for i, p := range total.Points {
		if math.Abs(p.Value-sum[i]) > 1e-6 || total.Reconciled != "mint_wls" {
			t.Fatalf("total step %d: %g (%s), the series sum to %g", i, p.Value, total.Reconciled, sum[i])
		}
	}
}
