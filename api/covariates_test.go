package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/pgtest"
	"github.com/forecastd/forecastd/jobs"
)

// planNDJSON is a promotion plan for the h days after 2026-10-31 (the
// demo's last day): promo 1 on the days listed for SKU001, 0 on every
// other day, and 0 throughout for SKU002.
func planNDJSON(h int, promoDays ...int) []byte {
	var b bytes.Buffer
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	for _, sku := range []string{"SKU001", "SKU002"} {
		for d := 0; d < h; d++ {
			promo := 0
			if sku == "SKU001" && slices.Contains(promoDays, d) {
				promo = 1
			}
			fmt.Fprintf(&b, `{"date":%q,"store":"S01","sku":%q,"covariates":{"promo":%d}}`+"\n",
				end.AddDate(0, 0, d+1).Format("2006-01-02"), sku, promo)
		}
	}
	return b.Bytes()
}

type promoForecast struct {
	JobID      string   `json:"job_id"`
	Covariates []string `json:"covariates"`
	Points     []struct {
		Date  string
		Value float64
	}
}

// peak is the forecast on day d and the larger of the forecasts on the
// same weekday a week before and after (the weekly pattern is strong).
func (f promoForecast) peak(d int) (on, around float64) {
	return f.Points[d].Value, math.Max(f.Points[d-7].Value, f.Points[d+7].Value)
}

// TestPlannedPromotions goes through the API: sales with a strong
// promotion effect, then a plan with one promotion in the next 28 days;
// the training job's forecast is at least 30% higher on the planned promo
// day than on the same weekday a week before and after, and names the
// covariate it used. A new plan that moves the promotion, then a refresh
// job, moves the peak: refresh jobs load the plan too.
func TestPlannedPromotions(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)
	const h = 28
	sales := demoCSV(t, demo.Options{Stores: 1, SKUs: 2, Days: 500, PromoLift: 2})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", sales); code != 200 {
		t.Fatalf("sales upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/covariates", "application/x-ndjson", planNDJSON(h, 10))
	var st sqlstore.IngestStats
	if err := json.Unmarshal(b, &st); code != 200 || err != nil || st.Rows != 2*h || st.Series != 2 {
		t.Fatalf("plan upload: %d %s", code, b)
	}

	run := func(body string) promoForecast {
		t.Helper()
		code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(body))
		if code != 202 {
			t.Fatalf("post job: %d %s", code, b)
		}
		var created struct{ ID string }
		mustDecode(t, b, &created)
		ts.waitJob(created.ID, "succeeded", 3*time.Minute)
		var fc promoForecast
		if code := ts.getJSON("/v1/forecasts/S01/SKU001", &fc); code != 200 || fc.JobID != created.ID || len(fc.Points) != h {
			t.Fatalf("forecast: %d %+v", code, fc)
		}
		return fc
	}
	// Two candidates keep the job short: ridge, which reads the plan,
	// and seasonal naive, which cannot.
	trained := run(`{"horizon": 28, "models": ["ridge", "seasonal_naive"], "top_k": 2}`)
	if !slices.Equal(trained.Covariates, []string{"promo"}) {
		t.Fatalf("forecast used covariates %v, want [promo]", trained.Covariates)
	}
	if on, around := trained.peak(10); on < 1.3*around {
		t.Errorf("forecast %.2f on the planned promo day %s, %.2f on the same weekday around it: want 30%% more",
			on, trained.Points[10].Date, around)
	}

	// The promotion moves a week later; the upload replaces the plan's
	// values day by day.
	if code, _, b := ts.do("POST", "/v1/covariates", "application/x-ndjson", planNDJSON(h, 17)); code != 200 {
		t.Fatalf("second plan upload: %d %s", code, b)
	}
	refreshed := run(`{"kind": "refresh", "horizon": 28}`)
	if on, around := refreshed.peak(17); on < 1.3*around {
		t.Errorf("refresh: forecast %.2f on the moved promo day, %.2f around it", on, around)
	}
	if refreshed.Points[10].Value >= trained.Points[10].Value {
		t.Errorf("refresh: day 10 is no longer a promo day, but its forecast %.2f did not drop from %.2f",
			refreshed.Points[10].Value, trained.Points[10].Value)
	}
}

// planResponse is the body of GET /v1/series/{store}/{sku}/covariates.
type planResponse struct {
	Store, SKU string
	Covariates map[string][]struct {
		Date  string
		Value float64
	}
}

// flat lists a plan as "name date value" in the order served.
func (p planResponse) flat() []string {
	var out []string
	names := make([]string, 0, len(p.Covariates))
	for n := range p.Covariates {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, v := range p.Covariates[n] {
			out = append(out, fmt.Sprintf("%s %s %g", n, v.Date, v.Value))
		}
	}
	return out
}

// postgresBackend is a fresh PostgreSQL database for one test, from
// FORECASTD_TEST_DATABASE_URL. Unset, the test fails under CI (which
// installs PostgreSQL, so a missing URL is a broken setup) and is skipped
// elsewhere, as in the data and jobs packages.
func postgresBackend(t *testing.T) BackendOptions {
	t.Helper()
	u := pgtest.URL(t)
	db, drop, err := sqlstore.CreatePostgresDatabase(context.Background(), u, "forecastd_api")
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the server starts, so it runs after the server
	// has stopped and let go of its connections.
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return BackendOptions{jobs.Backend{DatabaseURL: db}}
}

// TestPlanEndpoints goes round trip through the API, on SQLite and on
// PostgreSQL: upload a plan, read it back whole and filtered, delete part
// of it and all of it, read again; bad filters are 400 and store nothing,
// unknown series 404.
func TestPlanEndpoints(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPlanEndpoints(t, startWith(t, Options{JobWorkers: 0})) })
	t.Run("postgres", func(t *testing.T) {
		testPlanEndpoints(t, startWith(t, Options{JobWorkers: 0, Backend: postgresBackend(t)}))
	})
}

func testPlanEndpoints(t *testing.T, ts *testServer) {
	sales := "date,store,sku,quantity\n2026-10-31,S01,SKU001,3\n2026-10-31,S/2,a&b,1\n"
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(sales)); code != 200 {
		t.Fatalf("sales upload: %d %s", code, b)
	}
	// Out of date order, two covariates, a price from a second upload,
	// an awkward key and an hourly value, so order, merging, escaping and
	// date formats are all read back.
	plan := "date,store,sku,promo,price\n" +
		"2026-11-03,S01,SKU001,0,4.99\n2026-11-01,S01,SKU001,1,\n2026-11-02,S01,SKU001,1,3.99\n" +
		"2026-11-01T13:00:00,S/2,a&b,1,\n"
	if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", []byte(plan)); code != 200 {
		t.Fatalf("plan upload: %d %s", code, b)
	}
	if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", []byte("date,store,sku,price\n2026-11-01,S01,SKU001,4.49\n")); code != 200 {
		t.Fatalf("price upload: %d %s", code, b)
	}
	const series = "/v1/series/S01/SKU001/covariates"
	read := func(path string) []string {
		t.Helper()
		code, h, b := ts.do("GET", path, "", nil)
		var p planResponse
		if err := json.Unmarshal(b, &p); code != 200 || err != nil || h.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("GET %s: %d %s %s (%v)", path, code, h.Get("Content-Type"), b, err)
		}
		if p.Covariates == nil {
			t.Fatalf("GET %s: no covariates object in %s", path, b)
		}
		return p.flat()
	}
	reads := []struct {
		name, path string
		want       []string
	}{
		{"whole plan", series, []string{"price 2026-11-01 4.49", "price 2026-11-02 3.99", "price 2026-11-03 4.99",
			"promo 2026-11-01 1", "promo 2026-11-02 1", "promo 2026-11-03 0"}},
		{"one covariate", series + "?name=promo", []string{"promo 2026-11-01 1", "promo 2026-11-02 1", "promo 2026-11-03 0"}},
		{"from and to inclusive", series + "?from=2026-11-02&to=2026-11-02", []string{"price 2026-11-02 3.99", "promo 2026-11-02 1"}},
		{"to a time of day", series + "?to=2026-11-01T00:00:00&name=price", []string{"price 2026-11-01 4.49"}},
		{"nothing selected", series + "?from=2027-01-01", nil},
		{"escaped key, a time of day", "/v1/series/S%2F2/a&b/covariates", []string{"promo 2026-11-01T13:00:00 1"}},
		{"to covers the whole day", "/v1/series/S%2F2/a&b/covariates?to=2026-11-01", []string{"promo 2026-11-01T13:00:00 1"}},
	}
	for _, r := range reads {
		if got := read(r.path); !slices.Equal(got, r.want) {
			t.Errorf("%s: GET %s = %q, want %q", r.name, r.path, got, r.want)
		}
	}

	bad := []struct {
		method, path, detail string
	}{
		{"GET", series + "?from=2026-11-31", "from: date"},
		{"GET", series + "?to=yesterday", "to: date"},
		{"GET", series + "?from=2026-11-03&to=2026-11-02", "before from"},
		{"GET", series + "?name=", "empty"},
		{"DELETE", series + "?names=promo", `unknown query parameter "names"`},
		{"DELETE", series + "?name=promo&name=price", "given 2 times"},
		{"DELETE", series + "?name=quantity", "reserved"},
		{"DELETE", series + "?from=2026-11-01&to=11/03/2026", "to: date"},
	}
	for _, c := range bad {
		code, h, b := ts.do(c.method, c.path, "", nil)
		var p Problem
		if err := json.Unmarshal(b, &p); err != nil || code != 400 || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s %s: %d %s, want 400 naming %q", c.method, c.path, code, b, c.detail)
		}
	}
	for _, m := range []string{"GET", "DELETE"} {
		code, h, b := ts.do(m, "/v1/series/S01/NOPE/covariates", "", nil)
		var p Problem
		if err := json.Unmarshal(b, &p); err != nil || code != 404 || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, "S01/NOPE") {
			t.Errorf("%s on an unknown series: %d %s, want 404 naming it", m, code, b)
		}
	}
	if n, _ := ts.Store().CountPlannedCovariates(context.Background()); n != 7 {
		t.Fatalf("%d planned values after the refused requests, want 7", n)
	}

	del := func(path string) int {
		t.Helper()
		code, _, b := ts.do("DELETE", path, "", nil)
		var d struct {
			Store, SKU string
			Deleted    *int
		}
		if err := json.Unmarshal(b, &d); code != 200 || err != nil || d.Deleted == nil || d.Store != "S01" {
			t.Fatalf("DELETE %s: %d %s", path, code, b)
		}
		return *d.Deleted
	}
	if n := del(series + "?name=price&from=2026-11-02"); n != 2 {
		t.Errorf("deleted %d prices from 2026-11-02, want 2", n)
	}
	if got, want := read(series), []string{"price 2026-11-01 4.49", "promo 2026-11-01 1", "promo 2026-11-02 1", "promo 2026-11-03 0"}; !slices.Equal(got, want) {
		t.Errorf("after deleting prices: %q, want %q", got, want)
	}
	if n := del(series); n != 4 {
		t.Errorf("deleted %d values of the whole plan, want 4", n)
	}
	if got := read(series); got != nil {
		t.Errorf("after deleting the plan: %q, want nothing", got)
	}
	if n := del(series); n != 0 {
		t.Errorf("deleting an empty plan deleted %d", n)
	}
	// The other series' plan is untouched.
	if got := read("/v1/series/S%2F2/a&b/covariates"); len(got) != 1 {
		t.Errorf("the other series' plan: %q", got)
	}
}
