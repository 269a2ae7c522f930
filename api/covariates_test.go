package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"

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

// The data path against a hostile client (issue 15): what can never be
// assembled is refused at upload, a bad series stored earlier cannot fail
// a job, a series can be deleted, and writes do not block each other.

// TestUploadRefusesUnassemblable: dates out of range and a time of day
// in a daily series are refused whole, with the line, and store nothing.
func TestUploadRefusesUnassemblable(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0})
	good := "date,store,sku,quantity\n2026-01-01,S,A,1\n2026-01-02,S,A,2\n2026-01-03,S,A,3\n"
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(good)); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	for _, tc := range []struct {
		name, body string
		line       int
		reason     string
	}{
		{"year 0000", "date,store,sku,quantity\n2026-01-04,S,A,1\n0000-01-01,S,B,1\n", 3, "outside 1900-01-01 to 2200-01-01"},
		{"year 9999", "date,store,sku,quantity\n9999-12-31,S,B,1\n", 2, "outside 1900-01-01 to 2200-01-01"},
		{"hourly row in a daily series", "date,store,sku,quantity\n2026-01-04T13:00:00,S,A,1\n", 2, "not on the daily grid of series S/A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h, b := ts.do("POST", "/v1/sales", "text/csv", []byte(tc.body))
			var p Problem
			mustDecode(t, b, &p)
			if code != http.StatusBadRequest || h.Get("Content-Type") != "application/problem+json" || len(p.Errors) == 0 ||
				p.Errors[0].Line != tc.line || !strings.Contains(p.Errors[0].Reason, tc.reason) {
				t.Fatalf("upload = %d %s, want 400 naming line %d: %q", code, b, tc.line, tc.reason)
			}
		})
	}
	if n, err := ts.Store().CountSales(context.Background()); err != nil || n != 3 {
		t.Fatalf("sales = %d, %v; want the 3 good rows only", n, err)
	}
	// Covariates per series are bounded across uploads, not only within
	// one: two plans of 40 covariates each cannot make a series of 80.
	plan := func(prefix string) []byte {
		head, row := "date,store,sku", "2026-01-10,S,A"
		for i := range 40 {
			head += fmt.Sprintf(",%s%d", prefix, i)
			row += ",1"
		}
		return []byte(head + "\n" + row + "\n")
	}
	if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", plan("a")); code != 200 {
		t.Fatalf("first plan: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/covariates", "text/csv", plan("b"))
	if code != http.StatusBadRequest || !bytes.Contains(b, []byte("series S/A would have more than 64 covariates")) {
		t.Fatalf("second plan = %d %s, want 400 naming the limit", code, b)
	}
	if n, err := ts.Store().CountPlannedCovariates(context.Background()); err != nil || n != 40 {
		t.Fatalf("planned values = %d, %v; want the first plan's 40", n, err)
	}
}

// TestJobExcludesBadSeries: series stored before uploads refused them
// (written into the database directly) are excluded from a job, which
// succeeds for the others and says which and why in its summary.
func TestJobExcludesBadSeries(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 1})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 1, SKUs: 2, Days: 60})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	db := ts.Store().DB()
	for _, row := range []struct {
		sku string
		ts  time.Time
	}{
		{"YEARS", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}, {"YEARS", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"MIXED", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, {"MIXED", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"MIXED", time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}, {"MIXED", time.Date(2026, 1, 3, 7, 0, 0, 0, time.UTC)},
	} {
		if _, err := db.Exec(`INSERT INTO sales (store, sku, ts, quantity) VALUES ('S01', $1, $2, 1)`, row.sku, row.ts.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 7, "models": ["naive", "ses"]}`))
	if code != http.StatusAccepted {
		t.Fatalf("post job: %d %s", code, b)
	}
	var created struct{ ID string }
	mustDecode(t, b, &created)
	ts.waitJob(created.ID, "succeeded", time.Minute)
	var j jobs.Job
	if code := ts.getJSON("/v1/jobs/"+created.ID, &j); code != 200 || j.Summary == nil {
		t.Fatalf("job = %d %+v", code, j)
	}
	s := j.Summary
	// The demo's promo history has no plan: each trained series also
	// has a covariate warning, after the exclusions.
	excluded := s.Warnings[:0:0]
	for _, w := range s.Warnings {
		if w.Kind == jobs.WarnExcluded {
			excluded = append(excluded, w)
		}
	}
	if s.SeriesTotal != 4 || s.Trained != 2 || s.Excluded != 2 || len(excluded) != 2 || s.CovariatesDropped != 2 || len(s.Warnings) != 4 ||
		excluded[0].Series != "S01/MIXED" || excluded[1].Series != "S01/YEARS" ||
		!strings.Contains(excluded[1].Reason, "0000-01-01 is outside") {
		t.Fatalf("summary = %+v", s)
	}
	// The bad series can be deleted, and the next job has nothing to exclude.
	for _, sku := range []string{"MIXED", "YEARS"} {
		if code, _, b := ts.do("DELETE", "/v1/series/S01/"+sku, "", nil); code != 200 {
			t.Fatalf("delete %s: %d %s", sku, code, b)
		}
	}
}

// TestDeleteSeriesEndpoint deletes a range of a series' sales, then the
// whole series; bad queries are 400 and delete nothing, unknown series
// 404. On SQLite and PostgreSQL.
func TestDeleteSeriesEndpoint(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDeleteSeries(t, startWith(t, Options{JobWorkers: 0})) })
	t.Run("postgres", func(t *testing.T) {
		testDeleteSeries(t, startWith(t, Options{JobWorkers: 0, Backend: postgresBackend(t)}))
	})
}

func testDeleteSeries(t *testing.T, ts *testServer) {
	ctx := context.Background()
	sales := "date,store,sku,quantity\n2026-10-29,S/2,a&b,1\n2026-10-30,S/2,a&b,2\n2026-10-31,S/2,a&b,3\n2026-10-31,S01,KEEP,1\n"
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(sales)); code != 200 {
		t.Fatalf("sales upload: %d %s", code, b)
	}
	plan := "date,store,sku,promo\n2026-11-01,S/2,a&b,1\n"
	if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", []byte(plan)); code != 200 {
		t.Fatalf("plan upload: %d %s", code, b)
	}
	k := data.Key{Store: "S/2", SKU: "a&b"}
	day := func(d int) time.Time { return time.Date(2026, 10, d, 0, 0, 0, 0, time.UTC) }
	// Published with a vintage, as a training job publishes: the delete
	// must take the vintage (and its accuracy) too.
	if err := ts.Store().StageResultVintage(ctx, "j", k, []byte(`{}`), []byte(`[]`),
		sqlstore.VintageMeta{Cutoff: day(31), First: day(31).AddDate(0, 0, 1), Last: day(31).AddDate(0, 0, 7), Scale: 1, BacktestWAPE: 0.1}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store().PublishResults(ctx, "j", time.Now()); err != nil {
		t.Fatal(err)
	}
	series := "/v1/series/S%2F2/a&b"
	for _, tc := range []struct{ query, want string }{
		{"?form=2026-10-30", `unknown query parameter \"form\": want from or to`},
		{"?name=promo", `unknown query parameter \"name\"`},
		{"?from=2026-10-30&from=2026-10-31", "given 2 times"},
		{"?from=2026-10-31&to=2026-10-30", "before from"},
		{"?to=30/10/2026", "to: date"},
	} {
		code, _, b := ts.do("DELETE", series+tc.query, "", nil)
		if code != http.StatusBadRequest || !bytes.Contains(b, []byte(tc.want)) {
			t.Errorf("DELETE %s = %d %s, want 400 %q", tc.query, code, b, tc.want)
		}
	}
	type deleted struct {
		Store, SKU string
		Deleted    sqlstore.SeriesDeleted
	}
	var d deleted
	code, _, b := ts.do("DELETE", series+"?from=2026-10-30&to=2026-10-30", "", nil)
	if mustDecode(t, b, &d); code != 200 || d.Store != "S/2" || d.SKU != "a&b" || d.Deleted != (sqlstore.SeriesDeleted{Sales: 1}) {
		t.Fatalf("range delete = %d %s", code, b)
	}
	code, _, b = ts.do("DELETE", series, "", nil)
	if mustDecode(t, b, &d); code != 200 || d.Deleted != (sqlstore.SeriesDeleted{Sales: 2, PlannedCovariates: 1, Forecasts: 1, Vintages: 1}) {
		t.Fatalf("delete = %d %s", code, b)
	}
	for _, path := range []string{series, "/v1/series/NOPE/NOPE"} {
		if code, _, b := ts.do("DELETE", path, "", nil); code != http.StatusNotFound {
			t.Errorf("DELETE %s = %d %s, want 404", path, code, b)
		}
	}
	for _, path := range []string{"/v1/forecasts/S%2F2/a&b", series + "/covariates"} {
		if code, _, b := ts.do("GET", path, "", nil); code != http.StatusNotFound {
			t.Errorf("GET %s after delete = %d %s, want 404", path, code, b)
		}
	}
	if n, err := ts.Store().CountSales(ctx); err != nil || n != 1 {
		t.Fatalf("sales = %d, %v; want S01/KEEP's row", n, err)
	}
}

// uploadCSV is a sales upload of rows rows: series of store st, days
// days each from 2020-01-01.
func uploadCSV(st string, rows, days int) []byte {
	var b bytes.Buffer
	b.WriteString("date,store,sku,quantity\n")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		fmt.Fprintf(&b, "%s,%s,K%04d,%d\n", start.AddDate(0, 0, i%days).Format("2006-01-02"), st, i/days, i%7)
	}
	return b.Bytes()
}

// TestConcurrentUploadsDuringJob: while a job runs, 8 uploads of 50,000
// rows each go in at once. Each succeeds (or is told 429 to come back),
// none answers 5xx, and the job is not restarted: it runs once, from
// its first start to success.
func TestConcurrentUploadsDuringJob(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 400,000 rows")
	}
	// The gate holds the job running until the uploads are in.
	g := newGate()
	defer g.release()
	ts := startWith(t, Options{JobWorkers: 1, Registry: g.registry(t)})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 2, SKUs: 15, Days: 400})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 14, "stores": ["S01", "S02"], "models": ["naive", "seasonal_naive", "ses", "ridge", "gate"]}`))
	if code != http.StatusAccepted {
		t.Fatalf("post job: %d %s", code, b)
	}
	var created struct{ ID string }
	mustDecode(t, b, &created)
	ts.waitJob(created.ID, "running", time.Minute)
	first, err := ts.Store().GetJob(context.Background(), created.ID)
	if err != nil || first.StartedAt == nil {
		t.Fatalf("job = %+v, %v", first, err)
	}

	const uploads, rows = 8, 50_000
	var wg sync.WaitGroup
	codes := make([]int, uploads)
	bodies := make([][]byte, uploads)
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := uploadCSV(fmt.Sprintf("U%d", i), rows, 1000)
			req, err := http.NewRequest("POST", ts.base+"/v1/sales", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "text/csv")
			// Not the validating client: it would hold 8 bodies of 1.3 MB
			// twice; the upload response is checked by TestEndToEnd.
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer checkClose(t, resp.Body.Close)
			codes[i] = resp.StatusCode
			bodies[i] = readAll(t, resp)
		}()
	}
	t0 := time.Now()
	wg.Wait()
	during, err := ts.Store().GetJob(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uploads took %v; the job was then %s at %.0f%%", time.Since(t0), during.State, 100*during.Progress)
	if during.State != sqlstore.JobRunning {
		t.Errorf("the job was %s while the uploads went in, want running (held by the gate)", during.State)
	}
	g.release()
	stored := 0
	for i, code := range codes {
		switch code {
		case http.StatusOK:
			var st sqlstore.IngestStats
			mustDecode(t, bodies[i], &st)
			if st.Rows != rows {
				t.Errorf("upload %d: %+v", i, st)
			}
			stored++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("upload %d: %d %s", i, code, bodies[i])
		}
	}
	js := ts.waitJob(created.ID, "succeeded", 3*time.Minute)
	last, err := ts.Store().GetJob(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !last.StartedAt.Equal(*first.StartedAt) || js.SeriesDone != 30 {
		t.Errorf("job restarted or incomplete: started %v, then %v; %+v", first.StartedAt, last.StartedAt, js)
	}
	if n, err := ts.Store().CountSales(context.Background()); err != nil || n != int64(2*15*400+stored*rows) {
		t.Errorf("sales = %d, %v; want %d", n, err, 2*15*400+stored*rows)
	}
	t.Logf("%d of %d uploads stored while the job ran", stored, uploads)
}

// readAll reads a response body, failing t on error.
func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Error(err)
	}
	return b.Bytes()
}
