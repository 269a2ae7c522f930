package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
)

func startWith(t *testing.T, opts Options) *testServer {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	opts.Logger = slog.New(slog.NewTextHandler(testLogOutput(), nil))
	srv, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkClose(t, func() error { return srv.Stop(context.Background()) }) })
	return &testServer{Server: srv, base: "http://" + srv.Addr(), t: t}
}

func (ts *testServer) doAuth(method, path, token, ctype string, body []byte) (int, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.base+path, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	code, _, b := roundTrip(ts.t, apiClient(ts.t), req)
	return code, b
}

func TestAuth(t *testing.T) {
	for _, public := range []bool{false, true} {
		t.Run(fmt.Sprintf("public_reads=%v", public), func(t *testing.T) {
			ts := startWith(t, Options{JobWorkers: 0, Security: SecurityOptions{Tokens: []string{"s3cret", "other"}, PublicReads: public}})
			csv := []byte("date,store,sku,quantity\n2024-01-01,S1,A,1\n")
			plan := []byte("date,store,sku,promo\n2024-01-02,S1,A,1\n")
			cases := []struct {
				name, method, path, token, ctype string
				body                             []byte
				want                             int
			}{
				{"upload without token", "POST", "/v1/sales", "", "text/csv", csv, 401},
				{"upload with wrong token", "POST", "/v1/sales", "s3cre", "text/csv", csv, 401},
				{"upload with token", "POST", "/v1/sales", "s3cret", "text/csv", csv, 200},
				{"upload with second token", "POST", "/v1/sales", "other", "text/csv", csv, 200},
				{"plan without token", "POST", "/v1/covariates", "", "text/csv", plan, 401},
				{"plan with wrong token", "POST", "/v1/covariates", "s3cre", "text/csv", plan, 401},
				{"plan with token", "POST", "/v1/covariates", "s3cret", "text/csv", plan, 200},
				{"plan delete without token", "DELETE", "/v1/series/S1/A/covariates", "", "", nil, 401},
				{"plan delete with wrong token", "DELETE", "/v1/series/S1/A/covariates", "s3cre", "", nil, 401},
				{"plan delete with token, nothing selected", "DELETE", "/v1/series/S1/A/covariates?from=2030-01-01", "s3cret", "", nil, 200},
				{"plan read with token", "GET", "/v1/series/S1/A/covariates", "s3cret", "", nil, 200},
				{"job without token", "POST", "/v1/jobs", "", "application/json", []byte(`{"horizon":7}`), 401},
				{"cancel without token", "DELETE", "/v1/jobs/x", "", "", nil, 401},
				{"unquarantine without token", "DELETE", "/v1/memguard/quarantine/naive", "", "", nil, 401},
				{"metrics open", "GET", "/metrics", "", "", nil, 200},
				{"healthz open", "GET", "/healthz", "", "", nil, 200},
				{"readyz open", "GET", "/readyz", "", "", nil, 200},
				{"read with token", "GET", "/v1/series", "s3cret", "", nil, 200},
			}
			readWant := 401
			if public {
				readWant = 200
			}
			cases = append(cases, struct {
				name, method, path, token, ctype string
				body                             []byte
				want                             int
			}{"read without token", "GET", "/v1/series", "", "", nil, readWant}, struct {
				name, method, path, token, ctype string
				body                             []byte
				want                             int
			}{"plan read without token", "GET", "/v1/series/S1/A/covariates", "", "", nil, readWant})
			for _, c := range cases {
				code, b := ts.doAuth(c.method, c.path, c.token, c.ctype, c.body)
				if code != c.want {
					t.Errorf("%s: %d %s, want %d", c.name, code, b, c.want)
				}
			}
			if n, _ := ts.Store().CountSales(context.Background()); n != 1 {
				t.Errorf("rows = %d, want 1 (only authorised uploads)", n)
			}
			if n, _ := ts.Store().CountPlannedCovariates(context.Background()); n != 1 {
				t.Errorf("planned values = %d, want 1 (only authorised uploads, no unauthorised delete)", n)
			}
		})
	}
}

func TestRefuseOpenNonLoopback(t *testing.T) {
	_, err := New(context.Background(), Options{Addr: "0.0.0.0:0", DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "without API tokens") {
		t.Fatalf("open server on 0.0.0.0: err = %v", err)
	}
	srv, err := New(context.Background(), Options{Addr: "0.0.0.0:0", DataDir: t.TempDir(), Security: SecurityOptions{Insecure: true}})
	if err != nil {
		t.Fatalf("-insecure: %v", err)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestHostileInput sends malformed and hostile requests; each must get a
// 4xx problem with a useful detail, store nothing, and leave the server
// serving. The policy for each case is in the README.
func TestHostileInput(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0, MaxBodyBytes: 1 << 20})
	good := "date,store,sku,quantity\n2024-01-01,S1,A,1\n"
	if code, b := ts.doAuth("POST", "/v1/sales", "", "text/csv", []byte(good)); code != 200 {
		t.Fatalf("baseline upload: %d %s", code, b)
	}
	if code, b := ts.doAuth("POST", "/v1/covariates", "", "text/csv", []byte("date,store,sku,promo\n2024-01-02,S1,A,1\n")); code != 200 {
		t.Fatalf("baseline plan upload: %d %s", code, b)
	}
	long := "date,store,sku,quantity\n2024-01-01,S1," + strings.Repeat("x", 2<<20) + ",1\n"
	longPlan := "date,store,sku,promo\n2024-01-01,S1," + strings.Repeat("x", 2<<20) + ",1\n"
	wide := "date,store,sku"
	for i := 0; i <= ingest.MaxCovariates; i++ {
		wide += fmt.Sprintf(",c%d", i)
	}
	cases := []struct {
		name, method, path, ctype, body string
		want                            int
		detail                          string
	}{
		{"no header columns", "POST", "/v1/sales", "text/csv", "a,b,c\n1,2,3\n", 400, "missing column"},
		{"missing quantity column", "POST", "/v1/sales", "text/csv", "date,store,sku\n2024-01-01,S1,A\n", 400, "quantity"},
		{"non-numeric quantity", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,A,lots\n", 400, "not a number"},
		{"negative quantity refused", "POST", "/v1/sales?negative=refuse", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,A,-3\n", 400, "negative"},
		{"NaN quantity", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,A,NaN\n", 400, "finite"},
		{"infinite quantity", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,A,+Inf\n", 400, "finite"},
		{"impossible date", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-02-30,S1,A,1\n", 400, "date"},
		{"duplicate key in one upload", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,A,1\n2024-01-02,S1,A,2\n", 400, "duplicate"},
		{"invalid UTF-8 sku", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,\xff\xfe,1\n", 400, "UTF-8"},
		{"empty store", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,,A,1\n", 400, "empty"},
		{"bare quote", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S\"1,A,1\n", 400, "quote"},
		{"wrong field count", "POST", "/v1/sales", "text/csv", "date,store,sku,quantity\n2024-01-02,S1,A\n", 400, "fields"},
		{"empty body", "POST", "/v1/sales", "text/csv", "", 400, "empty"},
		{"enormous line", "POST", "/v1/sales", "text/csv", long, 413, "larger than"},
		{"unsupported content type", "POST", "/v1/sales", "application/xml", "<x/>", 415, "text/csv"},
		{"ndjson wrong type", "POST", "/v1/sales", "application/x-ndjson", `{"date":"2024-01-02","store":"S1","sku":"A","quantity":"5"}` + "\n", 400, "quantity"},
		{"ndjson unknown field", "POST", "/v1/sales", "application/x-ndjson", `{"date":"2024-01-02","store":"S1","sku":"A","quantity":5,"price":1}` + "\n", 400, "unknown field"},
		{"ndjson missing quantity", "POST", "/v1/sales", "application/x-ndjson", `{"date":"2024-01-02","store":"S1","sku":"A"}` + "\n", 400, "missing"},
		{"ndjson not json", "POST", "/v1/sales", "application/x-ndjson", "hello\n", 400, "invalid JSON"},
		{"plan with quantity", "POST", "/v1/covariates", "text/csv", "date,store,sku,quantity,promo\n2024-01-03,S1,A,1,1\n", 400, "no quantity"},
		{"plan without covariates", "POST", "/v1/covariates", "text/csv", "date,store,sku\n2024-01-03,S1,A\n", 400, "no covariate column"},
		{"plan too wide", "POST", "/v1/covariates", "text/csv", wide + "\n", 400, "at most 64"},
		{"plan key column twice", "POST", "/v1/covariates", "text/csv", "date,store,sku,Store\n2024-01-03,S1,A,1\n", 400, "duplicate column"},
		{"plan NaN value after a good row", "POST", "/v1/covariates", "text/csv", "date,store,sku,promo\n2024-01-03,S1,A,1\n2024-01-04,S1,A,NaN\n", 400, "line 3"},
		{"plan impossible date", "POST", "/v1/covariates", "text/csv", "date,store,sku,promo\n2024-02-30,S1,A,1\n", 400, "date"},
		{"plan duplicate value", "POST", "/v1/covariates", "text/csv", "date,store,sku,promo\n2024-01-03,S1,A,1\n2024-01-03,S1,A,0\n", 400, "duplicate"},
		{"plan control character in sku", "POST", "/v1/covariates", "text/csv", "date,store,sku,promo\n2024-01-03,S1,A\x01,1\n", 400, "control character"},
		{"plan empty body", "POST", "/v1/covariates", "text/csv", "", 400, "empty"},
		{"plan enormous line", "POST", "/v1/covariates", "text/csv", longPlan, 413, "larger than"},
		{"plan unsupported content type", "POST", "/v1/covariates", "application/json", "{}", 415, "covariate columns"},
		{"plan ndjson quantity", "POST", "/v1/covariates", "application/x-ndjson", `{"date":"2024-01-03","store":"S1","sku":"A","quantity":1,"covariates":{"promo":1}}` + "\n", 400, "no quantity"},
		{"plan ndjson no covariates", "POST", "/v1/covariates", "application/x-ndjson", `{"date":"2024-01-03","store":"S1","sku":"A"}` + "\n", 400, "at least one value"},
		{"plan ndjson string value", "POST", "/v1/covariates", "application/x-ndjson", `{"date":"2024-01-03","store":"S1","sku":"A","covariates":{"promo":"yes"}}` + "\n", 400, "invalid JSON"},
		{"plan wrong method", "PUT", "/v1/covariates", "", "", 405, "not allowed"},
		{"job without horizon", "POST", "/v1/jobs", "application/json", `{}`, 400, "horizon"},
		{"job horizon too large", "POST", "/v1/jobs", "application/json", `{"horizon": 100000}`, 400, "horizon"},
		{"job top_k too large", "POST", "/v1/jobs", "application/json", `{"horizon": 7, "top_k": 500}`, 400, "top_k"},
		{"job windows too large", "POST", "/v1/jobs", "application/json", `{"horizon": 7, "backtest_windows": 999}`, 400, "backtest_windows"},
		{"job wrong type", "POST", "/v1/jobs", "application/json", `{"horizon": "seven"}`, 400, "horizon"},
		{"job unknown field", "POST", "/v1/jobs", "application/json", `{"horizon": 7, "colour": "red"}`, 400, "unknown field"},
		{"job unknown model", "POST", "/v1/jobs", "application/json", `{"horizon": 7, "models": ["oracle"]}`, 400, "oracle"},
		{"job trailing data", "POST", "/v1/jobs", "application/json", `{"horizon": 7} {"horizon": 8}`, 400, "trailing"},
		{"job not json", "POST", "/v1/jobs", "application/json", `horizon=7`, 400, "invalid"},
		{"bad page size", "GET", "/v1/series?limit=0", "", "", 400, "limit"},
		{"bad job state filter", "GET", "/v1/jobs?state=weird", "", "", 400, "state"},
		{"unknown job", "GET", "/v1/jobs/nope", "", "", 404, "nope"},
		{"unknown route", "GET", "/v2/everything", "", "", 404, "no route"},
		{"wrong method", "PUT", "/v1/sales", "", "", 405, "not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, ts.base+c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			resp, err := apiClientResponsesOnly(t).Do(req) // hostile input
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			checkClose(t, resp.Body.Close)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, c.want)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("Content-Type %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(b, &p); err != nil || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("detail %q lacks %q (%v)", p.Detail, c.detail, err)
			}
		})
	}
	if n, _ := ts.Store().CountSales(context.Background()); n != 1 {
		t.Fatalf("rows = %d after hostile uploads, want the 1 good row", n)
	}
	if n, _ := ts.Store().CountPlannedCovariates(context.Background()); n != 1 {
		t.Fatalf("planned values = %d after hostile uploads, want the 1 good one", n)
	}
	jobs, _ := ts.Store().ListJobs(context.Background(), "", "", 10)
	if len(jobs) != 0 {
		t.Fatalf("%d jobs created by rejected requests", len(jobs))
	}
	// Still serving, and a BOM + CRLF + quoted fields upload is accepted.
	bom := "\xef\xbb\xbfdate,store,sku,quantity\r\n\"2024-01-03\",\"S1\",\"A, the big one\",\"2\"\r\n"
	if code, b := ts.doAuth("POST", "/v1/sales", "", "text/csv", []byte(bom)); code != 200 {
		t.Fatalf("BOM/CRLF/quoted upload: %d %s", code, b)
	}
	series, err := ts.Store().LoadSeries(context.Background(), sqlstore.SeriesFilter{SKUs: []string{"A, the big one"}})
	if err != nil || len(series) != 1 {
		t.Fatalf("quoted SKU not stored: %v %v", series, err)
	}
	_ = time.Second
}
