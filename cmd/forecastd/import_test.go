package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forecastd/forecastd/api"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/app"
)

// m5Dir is the shared M5 sample (see /work/shared/data/README.md): the
// competition's wide sales (10 series, d_1..d_1913 from 2011-01-29), its
// calendar and its tab-separated price table with a pandas index column.
const m5Dir = "../../../shared/data/m5_sample/"

// startAPI starts a real forecastd server in-process, working no jobs,
// with the security options sec.
func startAPI(t *testing.T, sec api.SecurityOptions) *api.Server {
	t.Helper()
	ctx := context.Background()
	srv, err := api.New(ctx, api.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JobWorkers: 0, Security: sec,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// runImportCmd runs `forecastd import args...` against server.
func runImportCmd(t *testing.T, server string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e := map[string]string{"FORECASTD_URL": server}
	for k, v := range env {
		e[k] = v
	}
	var out, errOut bytes.Buffer
	code = runEnv(context.Background(), append([]string{"import"}, args...), app.MapEnv(e), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// m5Calendar reads the sample's calendar with encoding/csv, independently
// of the command: date by d, week by date, row by date.
func m5Calendar(t *testing.T) (rows [][]string, col map[string]int) {
	t.Helper()
	f, err := os.Open(m5Dir + "calendar.csv")
	if err != nil {
		t.Fatalf("M5 sample (this test needs the shared data set): %v", err)
	}
	rows, err = csv.NewReader(f).ReadAll()
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	col = map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	return rows[1:], col
}

// TestImportM5: the M5 sample goes in as 10 series of 1,913 days, with
// sell_price, snap and event covariates taken from the calendar and the
// price table, and the 56 calendar days after the sales as a plan.
func TestImportM5(t *testing.T) {
	srv := startAPI(t, api.SecurityOptions{})
	start := time.Now()
	code, stdout, stderr := runImportCmd(t, "http://"+srv.Addr(), nil, "-layout", "wide",
		"-calendar", m5Dir+"calendar.csv", "-prices", m5Dir+"sell_prices", m5Dir+"sales_train_validation.csv")
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	t.Logf("imported in %s\n%s%s", time.Since(start), stdout, stderr)
	for _, want := range []string{"19130 rows, 10 series stored", "plan of 56 days (2016-04-25 .. 2016-06-19): 560 rows, 10 series stored"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "sales_train_validation.csv: 19130 rows sent") {
		t.Errorf("progress on stderr: %q", stderr)
	}

	series, err := srv.Store().LoadSeries(context.Background(), sqlstore.SeriesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 10 {
		t.Fatalf("%d series stored, want 10", len(series))
	}
	cal, col := m5Calendar(t)
	for _, s := range series {
		if s.Len() != 1913 || s.Start.Format("2006-01-02") != "2011-01-29" || s.Freq != data.Daily {
			t.Errorf("%s: %d %s points from %s, want 1913 daily from 2011-01-29", s.Key, s.Len(), s.Freq, s.Start)
		}
		for _, name := range []string{"sell_price", "snap", "event", "event_sporting", "event_cultural", "event_national", "event_religious"} {
			if got := len(s.Covariates[name]); got != 1913+56 {
				t.Errorf("%s: covariate %s has %d values, want %d (history and plan)", s.Key, name, got, 1913+56)
			}
		}
		checkM5Covariates(t, s, cal, col)
	}
	checkM5Price(t, series)
}

// checkM5Covariates compares the SNAP and event covariates of s, day by
// day over history and plan, with the calendar read independently.
func checkM5Covariates(t *testing.T, s *data.Series, cal [][]string, col map[string]int) {
	t.Helper()
	state := s.Key.Store[:2] // CA_1 is in CA
	for i := range s.Covariates["snap"] {
		row := cal[i]
		if row[col["date"]] != s.Date(i).Format("2006-01-02") {
			t.Fatalf("%s: day %d is %s, calendar row %s", s.Key, i, s.Date(i), row[col["date"]])
		}
		want, _ := strconv.ParseFloat(row[col["snap_"+state]], 64)
		if got := s.Covariates["snap"][i]; got != want {
			t.Errorf("%s: snap on %s = %v, want %v", s.Key, row[col["date"]], got, want)
			return
		}
		event, sporting := 0.0, 0.0
		for _, c := range []string{"event_type_1", "event_type_2"} {
			if row[col[c]] != "" {
				event = 1
			}
			if row[col[c]] == "Sporting" {
				sporting = 1
			}
		}
		if s.Covariates["event"][i] != event || s.Covariates["event_sporting"][i] != sporting {
			t.Errorf("%s: event, event_sporting on %s = %v, %v; want %v, %v", s.Key, row[col["date"]],
				s.Covariates["event"][i], s.Covariates["event_sporting"][i], event, sporting)
			return
		}
	}
}

// checkM5Price: the first rows of the price table (index 0 and 1:
// CA_1 HOBBIES_1_001 at 9.58 in weeks 11325 and 11326) are the sell_price
// of the seven days of those weeks; before the item's first price week
// there is none.
func checkM5Price(t *testing.T, series []*data.Series) {
	t.Helper()
	var s *data.Series
	for _, x := range series {
		if x.Key == (data.Key{Store: "CA_1", SKU: "HOBBIES_1_001"}) {
			s = x
		}
	}
	if s == nil {
		t.Fatal("no series CA_1/HOBBIES_1_001")
	}
	cal, col := m5Calendar(t)
	priced := 0
	for i, v := range s.Covariates["sell_price"] {
		switch wk := cal[i][col["wm_yr_wk"]]; {
		case wk == "11325" || wk == "11326":
			if v != 9.58 {
				t.Errorf("sell_price on %s (week %s) = %v, want 9.58", cal[i][col["date"]], wk, v)
			}
			priced++
		case wk < "11325":
			if !math.IsNaN(v) {
				t.Errorf("sell_price on %s (week %s, before the first price) = %v, want none", cal[i][col["date"]], wk, v)
			}
		}
	}
	if priced != 14 {
		t.Errorf("%d days priced in weeks 11325-11326, want 14", priced)
	}
	if last := s.Covariates["sell_price"][len(s.Covariates["sell_price"])-1]; math.IsNaN(last) {
		t.Error("no planned sell_price on the last planned day")
	}
}

// recorder is an httptest server that keeps the requests it receives and
// answers an upload with rows and series.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	path, ctype, auth string
	query             map[string][]string
	body              string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			t.Error(err)
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{path: req.URL.Path, ctype: req.Header.Get("Content-Type"),
			auth: req.Header.Get("Authorization"), query: req.URL.Query(), body: string(b)})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if _, err := io.WriteString(w, `{"rows":3,"series":1}`); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// walmartLike is a long file in the Walmart layout: its own column
// names, day-first dates, no SKU, a negative week.
const walmartLike = "Store,Date,Weekly_Sales,Holiday_Flag\n1,05-02-2010,1643690.9,0\n1,12-02-2010,-15.5,1\n1,19-02-2010,1611968.17,0\n"

// TestImportLongMapping: a long file is sent unchanged, with the mapping
// flags as the upload's query parameters and the token as a bearer.
func TestImportLongMapping(t *testing.T) {
	rec := newRecorder(t)
	path := writeFile(t, "walmart.csv", walmartLike)
	code, stdout, stderr := runImportCmd(t, rec.URL, map[string]string{"FORECASTD_TOKEN": "s3cret"},
		"-store", "Store", "-sku-const", "TOTAL", "-date", "Date", "-quantity", "Weekly_Sales",
		"-date-format", "%d-%m-%Y", "-negative", "clip", path)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	want := map[string]string{"store": "Store", "sku_const": "TOTAL", "date": "Date", "quantity": "Weekly_Sales",
		"date_format": "%d-%m-%Y", "negative": "clip"}
	for k, v := range want {
		if got := r.query[k]; len(got) != 1 || got[0] != v {
			t.Errorf("query %s = %v, want %q", k, got, v)
		}
	}
	if len(r.query) != len(want) {
		t.Errorf("query %v, want only %v", r.query, want)
	}
	if r.path != "/v1/sales" || r.ctype != "text/csv" || r.auth != "Bearer s3cret" || r.body != walmartLike {
		t.Errorf("request %s %q %q, body %q", r.path, r.ctype, r.auth, r.body)
	}
	if !strings.Contains(stdout, "3 rows, 1 series stored") || !strings.Contains(stderr, "walmart.csv: 3 rows sent") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
}

// TestImportDryRun: -dry-run describes the file and sends nothing.
func TestImportDryRun(t *testing.T) {
	rec := newRecorder(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"long", []string{"-store", "store", "-sku-const", "TOTAL", "-date", "date", "-quantity", "weekly_sales",
			writeFile(t, "walmart.csv", strings.ReplaceAll(walmartLike, ",", ";"))}, 0,
			[]string{"layout:      long", `delimiter:   ';'`, `sku="TOTAL" (constant)`, "date format: %d-%m-%Y",
				"rows:        3", "series:      1", "dates:       2010-02-05 .. 2010-02-19", "covariates:  holiday_flag",
				"negatives:   1", "problems:    none"}},
		{"missing columns", []string{"-sku-const", "TOTAL",
			writeFile(t, "amb.csv", "Store,Day,Weekly_Sales\n1,05/02/2010,1\n")}, exitFailure,
			[]string{`missing column "date"`, `missing column "quantity"`}},
		{"ambiguous dates", []string{"-sku-const", "TOTAL", "-date", "Date", "-quantity", "Weekly_Sales",
			writeFile(t, "amb.csv", "Store,Date,Weekly_Sales\n1,05/02/2010,1\n1,06/02/2010,x\n")}, exitFailure,
			[]string{`line 3: quantity "x" is not a number`, "DD/MM/YYYY (date_format=%d/%m/%Y) or MM/DD/YYYY (date_format=%m/%d/%Y): no day above 12 settles it", "(the flag is -date-format)"}},
		{"m5", []string{"-calendar", m5Dir + "calendar.csv", "-prices", m5Dir + "sell_prices", m5Dir + "sales_train_validation.csv"}, 0,
			[]string{"layout:      wide (1913 period columns)", "mapping:     store=store_id sku=item_id",
				"date format: calendar (d → date)", "rows:        19130", "series:      10", "dates:       2011-01-29 .. 2016-04-24",
				"sell_price (", "snap, event, event_cultural", "plan:        56 days (2016-04-25 .. 2016-06-19) × 10 series"}},
		{"m5 without calendar", []string{"-layout", "wide", m5Dir + "sales_train_validation.csv"}, exitFailure,
			[]string{"columns d_1..d_1913 are M5 day numbers: give -calendar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runImportCmd(t, rec.URL, nil, append([]string{"-dry-run"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("dry run lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}
}

// TestImportLongServer: a long file with its own column names (ISO dates)
// goes into a real server with the mapping; a file the server refuses
// makes the command fail with the server's detail.
func TestImportLongServer(t *testing.T) {
	srv := startAPI(t, api.SecurityOptions{})
	base := "http://" + srv.Addr()
	good := writeFile(t, "sales.csv", "Date,Store,SKU,Quantity,Promo\n2026-01-01,S1,A,3,0\n2026-01-02,S1,A,4,1\n2026-01-01,S2,B,5,0\n")
	code, stdout, stderr := runImportCmd(t, base, nil, "-date", "Date", "-store", "Store", "-sku", "SKU", "-quantity", "Quantity", good)
	if code != 0 || !strings.Contains(stdout, "3 rows, 2 series stored") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	n, err := srv.Store().CountSales(context.Background())
	if err != nil || n != 3 {
		t.Errorf("%d sales stored (%v), want 3", n, err)
	}

	bad := writeFile(t, "bad.csv", "date,store,sku,quantity\n2026-01-01,S1,A,x\n")
	code, _, stderr = runImportCmd(t, base, nil, bad)
	if code != exitFailure || !strings.Contains(stderr, "server answered 400") || !strings.Contains(stderr, "line 2") {
		t.Errorf("refused upload: exit %d, stderr %q", code, stderr)
	}
}

// TestImportWideDates: a wide file whose columns are dates (day first,
// as -date-format says), with a constant store, goes in as a long upload,
// with the prices of a semicolon-separated table by date (and a pandas
// index column) joined in; an empty cell is no row.
func TestImportWideDates(t *testing.T) {
	rec := newRecorder(t)
	path := writeFile(t, "wide.csv", "sku,01/03/2026,02/03/2026,13/03/2026\nA,1,,3\n\"B,2\",4,5,6\n")
	prices := writeFile(t, "prices.csv", ";store;sku;date;price\n0;S1;A;2026-03-01;2.5\n1;S1;A;2026-03-13;2.25\n2;S1;B,2;2026-03-02;10\n3;S2;A;2026-03-01;99\n")
	code, stdout, stderr := runImportCmd(t, rec.URL, nil, "-store-const", "S1", "-date-format", "%d/%m/%Y", "-prices", prices, "-negative", "refuse", path)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1 (no calendar, no plan)", len(reqs))
	}
	want := "date,store,sku,quantity,sell_price\n2026-03-01,S1,A,1,2.5\n2026-03-13,S1,A,3,2.25\n" +
		"2026-03-01,S1,\"B,2\",4,\n2026-03-02,S1,\"B,2\",5,10\n2026-03-13,S1,\"B,2\",6,\n"
	r := reqs[0]
	if r.body != want {
		t.Errorf("upload\n%s\nwant\n%s", r.body, want)
	}
	// The file is reshaped with its mapping applied: only the policy
	// goes to the server.
	if len(r.query) != 1 || r.query["negative"][0] != "refuse" {
		t.Errorf("query %v, want only negative=refuse", r.query)
	}
}

// TestImportToken: the token of FORECASTD_TOKEN (or -token) is what a
// server with API tokens lets in; without it the command fails with the
// server's 401.
func TestImportToken(t *testing.T) {
	srv := startAPI(t, api.SecurityOptions{Tokens: []string{"s3cret"}})
	path := writeFile(t, "sales.csv", "date,store,sku,quantity\n2026-01-01,S1,A,3\n")
	base := "http://" + srv.Addr()
	if code, _, stderr := runImportCmd(t, base, nil, path); code != exitFailure || !strings.Contains(stderr, "server answered 401") {
		t.Errorf("without a token: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runImportCmd(t, base, map[string]string{"FORECASTD_TOKEN": "s3cret"}, path); code != 0 {
		t.Errorf("FORECASTD_TOKEN: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runImportCmd(t, base, nil, "-token", "s3cret", path); code != 0 {
		t.Errorf("-token: exit %d, stderr %q", code, stderr)
	}
}

// TestImportRefusedFlags: flags that cannot work are refused before any
// file is read, with exit status 2.
func TestImportRefusedFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no file", nil, nil, "no FILE given"},
		{"bad layout", []string{"-layout", "tall", "x.csv"}, nil, `-layout "tall"`},
		{"bad policy", []string{"-negative", "ignore", "x.csv"}, nil, `-negative "ignore"`},
		{"bad server", []string{"x.csv"}, map[string]string{"FORECASTD_URL": "localhost:8080"}, `FORECASTD_URL="localhost:8080"`},
		{"store twice", []string{"-store", "Shop", "-store-const", "S1", "x.csv"}, nil, "-store or -store-const"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"FORECASTD_URL": "http://127.0.0.1:1"}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			code := runEnv(context.Background(), append([]string{"import"}, tc.args...), app.MapEnv(env), &stdout, &stderr)
			if code != exitConfig || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitConfig, tc.want)
			}
		})
	}
}

// BenchmarkWideReshape measures the reshaping of the M5 sample's wide
// sales (10 series × 1,913 days, with calendar and price covariates) into
// the long upload, without the network; allocations are per series, not
// per cell.
func BenchmarkWideReshape(b *testing.B) {
	c := &importCommand{calendarPath: m5Dir + "calendar.csv", pricesPath: m5Dir + "sell_prices"}
	w, s, err := c.prepareWide(m5Dir + "sales_train_validation.csv")
	if err != nil || s.err() != nil {
		b.Fatal(err, s.err())
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.writeSales(context.Background(), io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
