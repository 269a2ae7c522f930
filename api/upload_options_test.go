package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
)

// walmartCSV is the Walmart weekly file as downloaded (see
// /work/shared/data/README.md): Store,Date,Weekly_Sales and five numeric
// covariates, dates DD/MM/YYYY, no SKU.
const walmartCSV = "../../shared/data/walmart45/Walmart.csv"

// TestUploadLayouts: files laid out as real exports are go in through
// POST /v1/sales and /v1/covariates with the query parameters that
// describe them, and the answer says how they were read; bad parameters
// and files that cannot be read unambiguously get a 400 that says what
// to give.
func TestUploadLayouts(t *testing.T) {
	walmart, err := os.ReadFile(walmartCSV)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, t.TempDir(), 1)
	cases := []struct {
		name, path, ctype, body string
		// invalid requests do not match the OpenAPI document: only the
		// answer is checked against it.
		invalid bool
		status  int
		want    uploadResult // when 200: the fields compared are set
		detail  string       // when 400: in the problem
	}{
		{name: "Walmart as downloaded", path: "/v1/sales?store=Store&sku_const=TOTAL&date=Date&quantity=Weekly_Sales", ctype: "text/csv",
			body: string(walmart), status: 200, want: answer(6435, 45, ingest.Report{Delimiter: ",", DateFormat: "%d/%m/%Y",
				Covariates: []string{"holiday_flag", "temperature", "fuel_price", "cpi", "unemployment"}})},
		{name: "Walmart without a mapping", path: "/v1/sales", ctype: "text/csv", body: string(walmart), status: 400,
			detail: `missing columns "sku" (map it with sku=COLUMN or sku_const=VALUE), "quantity" (map it with quantity=COLUMN)`},
		{name: "negatives counted", path: "/v1/sales?negative=clip", ctype: "text/csv",
			body: "Unnamed: 0;date;store;sku;quantity;name\n0;2024-01-01;S1;A;-3;mug\n1;2024-01-02;S1;A;4;mug\n", status: 200,
			want: answer(2, 1, ingest.Report{Delimiter: ";", DateFormat: "%Y-%m-%d", IgnoredColumns: []string{"unnamed: 0", "name"}, NegativeRows: 1, ClippedRows: 1})},
		{name: "ambiguous dates", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n01/02/2024,S1,A,1\n02/02/2024,S1,A,1\n",
			status: 400, detail: "name the format with date_format"},
		{name: "ambiguous dates named", path: "/v1/sales?" + url.Values{"date_format": {"%m/%d/%Y"}}.Encode(), ctype: "text/csv",
			body: "date,store,sku,quantity\n01/02/2024,S2,A,1\n02/02/2024,S2,A,1\n", status: 200, want: answer(2, 1, ingest.Report{DateFormat: "%m/%d/%Y"})},
		{name: "ndjson with constants", path: "/v1/sales?store_const=S3&negative=allow", ctype: "application/x-ndjson",
			body: `{"date":"2024-01-01","sku":"A","quantity":-1}` + "\n", status: 200, want: answer(1, 1, ingest.Report{NegativeRows: 1})},
		{name: "ndjson with a column mapping", path: "/v1/sales?date=day", ctype: "application/x-ndjson",
			body: `{"date":"2024-01-01","store":"S1","sku":"A","quantity":1}`, status: 400, detail: "names a CSV column"},
		{name: "covariates mapped", path: "/v1/covariates?sku_const=A&date=Day", ctype: "text/csv",
			body: "Day|store|promo\n20261101|S1|1\n", status: 200, want: answer(1, 1, ingest.Report{Delimiter: "|", DateFormat: "%Y%m%d", Covariates: []string{"promo"}})},
		{name: "negative on covariates", path: "/v1/covariates?negative=clip", ctype: "text/csv", body: "date,store,sku,promo\n", status: 400,
			detail: "applies to sales uploads"},
		{name: "quantity on covariates", path: "/v1/covariates?quantity=q", ctype: "text/csv", body: "date,store,sku,promo\n", status: 400,
			detail: "no quantity"},
		{name: "bad policy", path: "/v1/sales?negative=drop", ctype: "text/csv", invalid: true, body: "date,store,sku,quantity\n", status: 400,
			detail: "want allow, clip or refuse"},
		{name: "bad date format", path: "/v1/sales?date_format=%25Y", ctype: "text/csv", body: "date,store,sku,quantity\n", status: 400,
			detail: "needs %Y, %m and %d"},
		{name: "control character in a constant", path: "/v1/sales?sku_const=%C2%9B", ctype: "text/csv", body: "date,store,quantity\n", status: 400,
			detail: "control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := apiClient(t)
			if c.invalid {
				client = apiClientResponsesOnly(t)
			}
			code, _, b := rawDo(t, client, "POST", ts.base+c.path, http.Header{"Content-Type": {c.ctype}}, []byte(c.body))
			if code != c.status {
				t.Fatalf("status %d %.500s, want %d", code, b, c.status)
			}
			if code != 200 {
				var p Problem
				mustDecode(t, b, &p)
				if !strings.Contains(p.Detail, c.detail) {
					t.Fatalf("problem %q, want %q", p.Detail, c.detail)
				}
				return
			}
			var got uploadResult
			mustDecode(t, b, &got)
			w := c.want
			if got.Rows != w.Rows || got.Series != w.Series || got.NegativeRows != w.NegativeRows || got.ClippedRows != w.ClippedRows ||
				(w.DateFormat != "" && got.DateFormat != w.DateFormat) || (w.Delimiter != "" && got.Delimiter != w.Delimiter) ||
				(w.Covariates != nil && strings.Join(got.Covariates, ",") != strings.Join(w.Covariates, ",")) ||
				strings.Join(got.IgnoredColumns, ",") != strings.Join(w.IgnoredColumns, ",") {
				t.Fatalf("answer %+v, want %+v", got, w)
			}
		})
	}
	// The Walmart stores are series of 143 weeks each.
	var series struct{ Items []sqlstore.SeriesInfo }
	ts.getJSON("/v1/series?store=1", &series)
	if s := series.Items; len(s) != 1 || s[0].SKU != "TOTAL" || s[0].Rows != 143 ||
		!s[0].FirstDate.Equal(time.Date(2010, 2, 5, 0, 0, 0, 0, time.UTC)) || !s[0].LastDate.Equal(time.Date(2012, 10, 26, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("series of store 1: %+v", s)
	}
}

// answer is the 200 answer of an upload of rows rows in series series,
// read as rep says.
func answer(rows, series int, rep ingest.Report) uploadResult {
	return uploadResult{IngestStats: sqlstore.IngestStats{Rows: rows, Series: series}, Report: rep}
}

// TestUploadSpool: a body whose first rows leave the date format open is
// spooled under the data directory for a second pass, and the copy is
// removed whether the upload is kept or refused.
func TestUploadSpool(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, 1)
	body := func(decided bool) []byte {
		var b bytes.Buffer
		b.WriteString("date,store,sku,quantity\n")
		// Twelve dates per series, 01/01 to 12/01: days of January read
		// day-first, firsts of months read month-first, a regular series
		// either way (the store refuses a series off its grid).
		for i := 0; b.Len() < 1<<20; i++ {
			fmt.Fprintf(&b, "%02d/01/2010,S%d,A,1\n", 1+i%12, i/12)
		}
		if decided {
			b.WriteString("13/01/2010,S0,A,7\n")
		}
		return b.Bytes()
	}
	for _, c := range []struct {
		name    string
		decided bool
		status  int
	}{{"decided past the first rows", true, 200}, {"ambiguous to the end", false, 400}} {
		t.Run(c.name, func(t *testing.T) {
			code, _, b := ts.do("POST", "/v1/sales", "text/csv", body(c.decided))
			if code != c.status {
				t.Fatalf("status %d %.300s, want %d", code, b, c.status)
			}
			if code == 200 {
				var got uploadResult
				mustDecode(t, b, &got)
				if got.DateFormat != "%d/%m/%Y" {
					t.Fatalf("answer %+v, want %%d/%%m/%%Y", got)
				}
			}
			left, err := filepath.Glob(filepath.Join(dir, "forecastd-upload-*"))
			if err != nil || len(left) != 0 {
				t.Fatalf("spooled copies left: %v (%v)", left, err)
			}
		})
	}
}
