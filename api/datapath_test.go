package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

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
	if s.SeriesTotal != 4 || s.Trained != 2 || s.Excluded != 2 || len(s.Warnings) != 2 ||
		s.Warnings[0].Series != "S01/MIXED" || s.Warnings[1].Series != "S01/YEARS" ||
		!strings.Contains(s.Warnings[1].Reason, "0000-01-01 is outside") {
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
	if err := ts.Store().StageResult(ctx, "j", k, []byte(`{}`), []byte(`[]`)); err != nil {
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
	if mustDecode(t, b, &d); code != 200 || d.Deleted != (sqlstore.SeriesDeleted{Sales: 2, PlannedCovariates: 1, Forecasts: 1}) {
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
	ts := startWith(t, Options{JobWorkers: 1})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 2, SKUs: 15, Days: 400})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 14, "stores": ["S01", "S02"], "models": ["naive", "seasonal_naive", "ses", "ridge"]}`))
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
