package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestHostileUploads holds the upload cases of the hostile-client review,
// each sent to the real server: every one is refused with a 4xx that
// names the problem, and nothing of it is stored (the good series
// uploaded first keeps its rows, and no other series appears). Further
// cases of the same classes (other C1 characters, other key spellings,
// other far dates) are in the table too.
func TestHostileUploads(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0})
	var good strings.Builder
	good.WriteString("date,store,sku,quantity,promo\n")
	for i := range 30 {
		fmt.Fprintf(&good, "2026-01-%02d,S1,A,%d,0\n", 1+i, 5+i%3)
	}
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(good.String())); code != 200 {
		t.Fatalf("good upload: %d %s", code, b)
	}
	wide := func(n int, dates ...string) []byte {
		var b strings.Builder
		b.WriteString("date,store,sku")
		for i := range n {
			fmt.Fprintf(&b, ",c%d", i)
		}
		b.WriteString("\n")
		for _, d := range dates {
			b.WriteString(d + ",S9,W")
			for range n {
				b.WriteString(",1")
			}
			b.WriteString("\n")
		}
		return []byte(b.String())
	}
	cases := []struct {
		name, path, ctype, body string
		raw                     []byte
		want                    string // in the problem's detail
	}{
		{name: "1,000 covariates, dates 1800 to 2090", path: "/v1/covariates", ctype: "text/csv", raw: wide(1000, "1800-01-01", "2090-12-31"), want: "limit"},
		{name: "65 covariates", path: "/v1/covariates", ctype: "text/csv", raw: wide(65, "2026-02-01"), want: "64"},
		{name: "dates 1800 and 2090 in one series", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n1800-01-01,S9,Y,1\n2090-12-31,S9,Y,1\n", want: "1900"},
		{name: "dates 0000-01-01 and 9999-12-31", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n0000-01-01,S9,Z,1\n9999-12-31,S9,Z,1\n", want: "line 2"},
		{name: "an hourly row in a daily series", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n2026-01-15T13:00:00,S1,A,1\n", want: "grid"},
		{name: "two NDJSON objects on one line", path: "/v1/sales", ctype: "application/x-ndjson",
			body: `{"date":"2026-02-01","store":"S9","sku":"N","quantity":1}{"date":"2026-02-02","store":"S9","sku":"N","quantity":2}` + "\n",
			want: "line 1"},
		{name: "C1 control U+009B in a store", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n2026-02-01,S\u009b9,C,1\n", want: "control"},
		{name: "C1 control U+0085 inside a SKU", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n2026-02-01,S9,C\u0085X,1\n", want: "control"},
		{name: "a covariate named Quantity", path: "/v1/covariates", ctype: "text/csv", body: "date,store,sku,Quantity\n2026-02-01,S1,A,1\n", want: "quantity"},
		{name: "a covariate named QUANTITY beside the quantity", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity, QUANTITY \n2026-02-01,S1,A,1,2\n", want: "quantity"},
		{name: "a covariate name with NUL", path: "/v1/covariates", ctype: "application/x-ndjson", body: `{"date":"2026-02-01","store":"S1","sku":"A","covariates":{"pro\u0000mo":1}}` + "\n", want: "control"},
		{name: "a quantity of 1e308", path: "/v1/sales", ctype: "text/csv", body: "date,store,sku,quantity\n2026-02-01,S9,Q,1e308\n", want: "MaxMagnitude"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.raw
			if body == nil {
				body = []byte(c.body)
			}
			code, hdr, b := ts.do("POST", c.path, c.ctype, body)
			if code < 400 || code >= 500 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") ||
				!strings.Contains(strings.ToLower(string(b)), strings.ToLower(c.want)) {
				t.Fatalf("%d %s %s, want a 4xx problem naming %q", code, hdr.Get("Content-Type"), clip(b, 400), c.want)
			}
		})
	}
	var list struct {
		Items []struct {
			Store, SKU string
			Rows       int
		}
	}
	ts.getJSON("/v1/series", &list)
	if len(list.Items) != 1 || list.Items[0].Store != "S1" || list.Items[0].SKU != "A" || list.Items[0].Rows != 30 {
		t.Fatalf("series after the refused uploads: %+v, want only S1/A with its 30 rows", list.Items)
	}
}

// TestHostileLongLine streams a CSV whose second line is 200 MB long to
// the real server: it is refused with the line-length limit named, after
// reading a bounded prefix, and the server allocates a small fraction of
// the line (it allocated 925 MB before the limit).
func TestHostileLongLine(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0})
	const lineBytes = 200 << 20
	body := io.MultiReader(strings.NewReader("date,store,sku,quantity\n2026-01-01,S1,"),
		&repeatReader{b: 'x', n: lineBytes}, strings.NewReader(",1\n"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req, err := http.NewRequest("POST", ts.base+"/v1/sales", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		// The server may answer and close before the client has sent the
		// whole body; then the client sees the write fail.
		t.Logf("client: %v", err)
	} else {
		b, rerr := io.ReadAll(resp.Body)
		checkClose(t, resp.Body.Close)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("MaxLineBytes")) && !bytes.Contains(b, []byte("line")) {
			t.Fatalf("200 MB line: %d %s, want 400 naming the line limit", resp.StatusCode, clip(b, 300))
		}
	}
	runtime.ReadMemStats(&after)
	// Client and server share this process: the bound covers both.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("a 200 MB line cost %d MiB of allocation, want under 64", alloc>>20)
	}
}

// repeatReader reads n copies of b.
type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}
