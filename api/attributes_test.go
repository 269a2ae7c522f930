package api

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// attributeSalesCSV is 2 stores x 3 SKUs of daily sales with M5's
// dept_id column: A and B in D1, C in D2.
func attributeSalesCSV(days int) []byte {
	var b strings.Builder
	b.WriteString("date,store,sku,quantity,dept_id\n")
	dept := map[string]string{"A": "D1", "B": "D1", "C": "D2"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for si, st := range []string{"S1", "S2"} {
		for ki, sku := range []string{"A", "B", "C"} {
			for d := 0; d < days; d++ {
				q := 10 + 3*si + 2*ki + (d%7)*(ki+1) + (d*7+ki*3)%5
				fmt.Fprintf(&b, "%s,%s,%s,%d,%s\n", start.AddDate(0, 0, d).Format("2006-01-02"), st, sku, q, dept[sku])
			}
		}
	}
	return []byte(b.String())
}

// TestAttributeLevels: attributes uploaded with the sales (dept_id) and
// alone (state) add levels to a reconciled job; their aggregates are
// served in a series' shape and sum their series to 1e-6; attributes are
// read back, refused whole on a conflict and deleted with the series.
func TestAttributeLevels(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", attributeSalesCSV(120)); code != 200 || !strings.Contains(string(b), `"attributes":["dept_id"]`) {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/series/attributes", "text/csv", []byte("store,sku,state\nS1,A,CA\nS1,B,CA\nS1,C,CA\nS2,A,TX\nS2,B,TX\nS2,C,TX\nS2,C,NV\n"))
	if code != 400 || !strings.Contains(string(b), "line 8") || !strings.Contains(string(b), "on line 7") {
		t.Fatalf("conflicting attributes: %d %s", code, b)
	}
	var got struct{ Attributes map[string]string }
	if ts.getJSON("/v1/series/S2/C/attributes", &got); got.Attributes["state"] != "" || got.Attributes["dept_id"] != "D2" {
		t.Fatalf("after a refused upload: %v, want dept_id only", got.Attributes)
	}
	nd := ""
	for _, k := range []string{"S1/A/CA", "S1/B/CA", "S1/C/CA", "S2/A/TX", "S2/B/TX", "S2/C/TX"} {
		f := strings.Split(k, "/")
		nd += fmt.Sprintf(`{"store":%q,"sku":%q,"state":%q}`+"\n", f[0], f[1], f[2])
	}
	if code, _, b := ts.do("POST", "/v1/series/attributes", "application/x-ndjson", []byte(nd)); code != 200 || !strings.Contains(string(b), `"series":6`) {
		t.Fatalf("attributes: %d %s", code, b)
	}
	if ts.getJSON("/v1/series/S2/C/attributes", &got); got.Attributes["state"] != "TX" || got.Attributes["dept_id"] != "D2" {
		t.Fatalf("attributes of S2/C = %v", got.Attributes)
	}
	code, _, b = ts.do("POST", "/v1/jobs", "application/json",
		[]byte(`{"horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive"], "reconcile": "mint_wls"}`))
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
				State      string   `json:"state"`
				Aggregates int      `json:"aggregates"`
				Attributes []string `json:"attributes"`
			} `json:"reconcile"`
		} `json:"summary"`
	}
	ts.getJSON("/v1/jobs/"+job.ID, &status)
	// total, 2 stores, 3 SKUs, dept D1 D2, 4 store x dept, state CA TX
	// (store x state is the store itself).
	if r := status.Summary.Reconcile; r.State != "reconciled" || r.Aggregates != 1+2+3+2+4+2 || strings.Join(r.Attributes, ",") != "dept_id,state" {
		t.Fatalf("job reconcile %+v", r)
	}
	type fc struct {
		Store, SKU string
		Reconciled string
		Points     []struct{ Value float64 }
	}
	get := func(path string) []float64 {
		var f fc
		if code := ts.getJSON(path, &f); code != 200 || len(f.Points) != 7 || f.Reconciled != "mint_wls" {
			t.Fatalf("%s: %d %+v", path, code, f)
		}
		v := make([]float64, len(f.Points))
		for i, p := range f.Points {
			v[i] = p.Value
		}
		return v
	}
	sum := func(keys ...string) []float64 {
		s := make([]float64, 7)
		for _, k := range keys {
			for i, v := range get("/v1/forecasts/" + k) {
				s[i] += v
			}
		}
		return s
	}
	for _, c := range []struct {
		path    string
		members []string
	}{
		{"/v1/aggregates/dept_id/D1", []string{"S1/A", "S1/B", "S2/A", "S2/B"}},
		{"/v1/aggregates/dept_id/D2?store=S1", []string{"S1/C"}},
		{"/v1/aggregates/dept_id/D1?store=S2", []string{"S2/A", "S2/B"}},
		{"/v1/aggregates/state/TX", []string{"S2/A", "S2/B", "S2/C"}},
		{"/v1/forecasts/_total/" + url.PathEscape("_dept_id=D2"), []string{"S1/C", "S2/C"}},
	} {
		agg, want := get(c.path), sum(c.members...)
		for i := range agg {
			if math.Abs(agg[i]-want[i]) > 1e-6 {
				t.Fatalf("%s step %d = %g, its series sum to %g", c.path, i, agg[i], want[i])
			}
		}
	}
	for path, code := range map[string]int{"/v1/aggregates/dept_id/D9": 404, "/v1/aggregates/dept_id/D1?stores=S1": 400, "/v1/aggregates/state/CA?store=S2": 404} {
		if got, _, b := ts.do("GET", path, "", nil); got != code {
			t.Fatalf("%s: %d %s, want %d", path, got, b, code)
		}
	}
	var del struct {
		Deleted struct{ Attributes int } `json:"deleted"`
	}
	code, _, b = ts.do("DELETE", "/v1/series/S1/A", "", nil)
	mustDecode(t, b, &del)
	if code != 200 || del.Deleted.Attributes != 2 {
		t.Fatalf("delete: %d %s, want 2 attributes deleted", code, b)
	}
	if code, _, _ := ts.do("GET", "/v1/series/S1/A/attributes", "", nil); code != 404 {
		t.Fatalf("attributes of a deleted series: %d, want 404", code)
	}
	names := []string{}
	for n := range got.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "dept_id,state" {
		t.Fatalf("names %v", names)
	}
}
