package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
)

// A job with reconcile publishes the aggregates under _total keys, in the
// shape of a series' forecast, coherent with the series; a bad method is
// a 400 naming the field; an upload cannot use the reserved prefix.
func TestReconciledForecasts(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 2, SKUs: 2, Days: 120})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, hdr, b := ts.do("POST", "/v1/sales", "text/csv", []byte("date,store,sku,quantity\n2026-11-01,_total,A,1\n"))
	if code != 400 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(b), "reserved") {
		t.Fatalf("reserved store: %d %s", code, b)
	}
	// Off the schema's enum on purpose: only the answer is validated.
	req, err := http.NewRequest("POST", ts.base+"/v1/jobs", strings.NewReader(`{"horizon": 7, "reconcile": "mint"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	code, _, b = roundTrip(t, apiClientResponsesOnly(t), req)
	if code != 400 || !strings.Contains(string(b), "reconcile") {
		t.Fatalf("bad reconcile: %d %s", code, b)
	}
	code, _, b = ts.do("POST", "/v1/jobs", "application/json",
		[]byte(`{"horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive"], "reconcile": "mint_shrink"}`))
	if code != 202 {
		t.Fatalf("job: %d %s", code, b)
	}
	var job struct {
		ID string `json:"id"`
	}
	mustDecode(t, b, &job)
	if st := ts.waitJob(job.ID, "succeeded", time.Minute); st.Error != "" {
		t.Fatalf("job error %q", st.Error)
	}
	var status struct {
		Summary struct {
			Reconcile struct {
				State      string `json:"state"`
				Aggregates int    `json:"aggregates"`
			} `json:"reconcile"`
		} `json:"summary"`
	}
	ts.getJSON("/v1/jobs/"+job.ID, &status)
	if r := status.Summary.Reconcile; r.State != "reconciled" || r.Aggregates != 1+2+2 {
		t.Fatalf("job reconcile %+v", r)
	}
	type fc struct {
		Store, SKU string
		Reconciled string
		Points     []struct{ Value float64 }
	}
	get := func(store, sku string) fc {
		var f fc
		if code := ts.getJSON(fmt.Sprintf("/v1/forecasts/%s/%s", store, sku), &f); code != 200 || len(f.Points) != 7 {
			t.Fatalf("forecast %s/%s: %d %+v", store, sku, code, f)
		}
		if f.Reconciled != "mint_shrink" {
			t.Fatalf("forecast %s/%s reconciled %q", store, sku, f.Reconciled)
		}
		return f
	}
	total := get("_total", "_total")
	var sum [7]float64
	for _, st := range []string{"S01", "S02"} {
		store := get(st, "_total")
		var storeSum [7]float64
		for _, sku := range []string{"SKU001", "SKU002"} {
			for i, p := range get(st, sku).Points {
				storeSum[i] += p.Value
				sum[i] += p.Value
			}
		}
		for i := range storeSum {
			if math.Abs(store.Points[i].Value-storeSum[i]) > 1e-6 {
				t.Fatalf("store %s step %d: %g, its SKUs sum to %g", st, i, store.Points[i].Value, storeSum[i])
			}
		}
	}
	for i := range sum {
		if math.Abs(total.Points[i].Value-sum[i]) > 1e-6 {
			t.Fatalf("total step %d: %g, the series sum to %g", i, total.Points[i].Value, sum[i])
		}
	}
	get("_total", "SKU002")
	if code, _, page := ts.get("/ui/jobs/"+job.ID, nil); code != 200 || !strings.Contains(page, "Reconciliation <code>mint_shrink</code>: reconciled; 5 aggregates published.") {
		t.Fatalf("job page %d does not say what the reconciliation did:\n%s", code, page)
	}
}
