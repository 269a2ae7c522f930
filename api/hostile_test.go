package api

// The hostile client suite (issue 15): each test is an attack that once
// worked against the real server, run against it in process, with the
// limit that now holds it (limits.go).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
)

// rawDo sends a request with a plain client: the validating transport
// refuses what these tests send on purpose (made-up methods).
func rawDo(t *testing.T, c *http.Client, method, url string, hdr http.Header, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return roundTrip(t, c, req)
}

// wantLimitProblem checks that b is a problem document with status and
// naming the limit name with value.
func wantLimitProblem(t *testing.T, what string, code int, hdr http.Header, b []byte, status int, name, value string) {
	t.Helper()
	var p Problem
	if code != status || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") || json.Unmarshal(b, &p) != nil {
		t.Fatalf("%s: %d %q %s, want a %d problem", what, code, hdr.Get("Content-Type"), b, status)
	}
	if p.Limit == nil || p.Limit.Name != name || p.Limit.Value != value {
		t.Fatalf("%s: problem names limit %+v, want %s = %s (%s)", what, p.Limit, name, value, b)
	}
}

// TestHostileMetricsLabels sends 2,000 unauthenticated requests with
// made-up methods and paths: once each method became a label value and
// grew /metrics from 5.5 MB to 84 MB for good. Labels now come from a
// fixed set (methodLabel, routeLabel), so /metrics grows by the few
// series of the refusals' codes, once.
func TestHostileMetricsLabels(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0, Security: SecurityOptions{Tokens: []string{"s3cret"}}})
	c := &http.Client{Timeout: 10 * time.Second}
	_, _, before := rawDo(t, c, "GET", ts.base+"/metrics", nil, nil)
	paths := []string{"/v1/jobs", "/v1/series", "/healthz", "/ui"}
	for i := range 2000 {
		method := fmt.Sprintf("X%dMETHOD", i)
		path := fmt.Sprintf("/made/up/%d", i)
		if i%2 == 1 {
			path = paths[i%len(paths)]
		}
		if code, _, b := rawDo(t, c, method, ts.base+path, nil, nil); code < 400 || code >= 500 {
			t.Fatalf("%s %s: %d %s, want a 4xx refusal", method, path, code, b)
		}
	}
	_, _, after := rawDo(t, c, "GET", ts.base+"/metrics", nil, nil)
	t.Logf("/metrics: %d bytes before, %d after 2,000 requests with made-up methods and paths", len(before), len(after))
	if grew := len(after) - len(before); grew > 8<<10 {
		t.Errorf("/metrics grew by %d bytes, want at most 8 KiB", grew)
	}
	if bytes.Contains(after, []byte("X1METHOD")) || bytes.Contains(after, []byte("/made/up")) {
		t.Error("/metrics carries a client's method or path as a label value")
	}
}

// TestHostileSlowReaders has 50 clients ask for /metrics (made large,
// as on a busy server) and never read the answer. Each held a request
// slot for the 10-minute WriteTimeout, until /healthz answered 503. Now
// /metrics takes MaxScrapes at once and answers the rest 503 at once, and
// a scrape that cannot be written gives up after ProbeWriteTimeout.
func TestHostileSlowReaders(t *testing.T) {
	const clients = 50
	ts := startWith(t, Options{JobWorkers: 0, MaxInFlight: 16, Limits: Limits{ProbeWriteTimeout: time.Second}})
	// About 3 MB of metrics, more than loopback socket buffers hold.
	big := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "test_padding", Help: "pads /metrics"}, []string{"series"})
	for i := range 30000 {
		big.WithLabelValues(strconv.Itoa(i) + strings.Repeat("x", 60)).Set(float64(i))
	}
	ts.reg.MustRegister(big)

	dialer := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	for range clients {
		conn, err := dialer.Dial("tcp", ts.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		if _, err := conn.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the server take them all
	c := &http.Client{Timeout: 5 * time.Second}
	start := time.Now()
	code, _, b := rawDo(t, c, "GET", ts.base+"/healthz", nil, nil)
	took := time.Since(start)
	t.Logf("/healthz with %d clients hanging on /metrics: %d in %s", clients, code, took)
	if code != 200 || took > 2*time.Second {
		t.Fatalf("/healthz: %d %s in %s, want 200 in under 2 s", code, b, took)
	}
	// The stalled scrapes give up at their write deadline and free
	// their slots: only this scrape is in flight after it.
	time.Sleep(2 * time.Second)
	_, _, m := rawDo(t, c, "GET", ts.base+"/metrics", nil, nil)
	got := regexp.MustCompile(`(?m)^forecastd_http_requests_in_flight (\d+)`).FindSubmatch(m)
	if got == nil || string(got[1]) != "1" {
		t.Errorf("in flight after the write timeout: %q, want 1 (this scrape)", got)
	}
}

// TestHostileTrickledBody sends a job request's body a few bytes and
// then nothing: it held a request slot for the 10-minute ReadTimeout. It
// is answered 408 naming body_read_timeout once that passes.
func TestHostileTrickledBody(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0, Limits: Limits{BodyReadTimeout: 500 * time.Millisecond}})
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	start := time.Now()
	if _, err := conn.Write([]byte("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"horizon\"")); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := readBody(t, resp)
	took := time.Since(start)
	t.Logf("trickled job body: %d after %s", resp.StatusCode, took)
	wantLimitProblem(t, "trickled body", resp.StatusCode, resp.Header, b, 408, limitBodyRead, "500ms")
	if took > 3*time.Second {
		t.Errorf("answered after %s, want about the 500ms limit", took)
	}
}

// TestHostileConnections opens more connections from one host than
// MaxConnsPerHost: the ones past it are closed as soon as they are
// accepted, and the server serves others.
func TestHostileConnections(t *testing.T) {
	const perHost = 8
	ts := startWith(t, Options{JobWorkers: 0, Limits: Limits{MaxConnsPerHost: perHost}})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range perHost {
		c, err := net.Dial("tcp", ts.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	time.Sleep(100 * time.Millisecond)
	extra, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = extra.Close() }()
	if err := extra.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _ = extra.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	if _, err := bufio.NewReader(extra).ReadByte(); err == nil || os.IsTimeout(err) {
		t.Fatalf("connection %d from one host: read %v, want it closed", perHost+1, err)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(ts.base + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the idle connections closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHostileJobQueue fills the queue: past MaxActiveJobs queued or
// running, POST /v1/jobs answers 429 with Retry-After and the limit, and
// records nothing; listing pages with a bounded page size.
func TestHostileJobQueue(t *testing.T) {
	const active = 3
	ts := startWith(t, Options{JobWorkers: 0, Limits: Limits{MaxActiveJobs: active}})
	var ids []string
	for i := range active {
		code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon":7}`))
		if code != 202 {
			t.Fatalf("job %d: %d %s", i, code, b)
		}
		var j struct{ ID string }
		mustDecode(t, b, &j)
		ids = append(ids, j.ID)
	}
	code, hdr, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon":7}`))
	wantLimitProblem(t, "job past the queue limit", code, hdr, b, 429, limitActiveJobs, strconv.Itoa(active))
	if hdr.Get("Retry-After") != "30" {
		t.Errorf("Retry-After %q, want 30", hdr.Get("Retry-After"))
	}
	var page struct {
		Items []struct{ ID string }
		Next  *string
	}
	ts.getJSON("/v1/jobs", &page)
	if len(page.Items) != active {
		t.Fatalf("%d jobs recorded, want %d: the refused one is not", len(page.Items), active)
	}
	// A cancelled job leaves the queue and makes room.
	if code, _, b := ts.do("DELETE", "/v1/jobs/"+ids[0], "", nil); code != 200 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	if code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon":7}`)); code != 202 {
		t.Fatalf("after a cancel: %d %s, want 202", code, b)
	}

	// The document says the maximum too: the validating client would
	// not send this.
	code, hdr, b = rawDo(t, &http.Client{Timeout: 10 * time.Second}, "GET", ts.base+"/v1/jobs?limit="+strconv.Itoa(maxPage+1), nil, nil)
	wantLimitProblem(t, "over-large page", code, hdr, b, 400, limitPage, strconv.Itoa(maxPage))
	seen := map[string]bool{}
	for next := "/v1/jobs?limit=2"; next != ""; {
		page.Next = nil
		ts.getJSON(next, &page)
		if len(page.Items) > 2 {
			t.Fatalf("%s: %d items", next, len(page.Items))
		}
		for _, j := range page.Items {
			seen[j.ID] = true
		}
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	if len(seen) != active+1 {
		t.Errorf("paging saw %d jobs, want %d", len(seen), active+1)
	}
}

// TestHostileJobPageBytes: a job echoes its request, up to 1 MiB, so a
// page of 100 jobs ran to 41 MB and one of 1000 could reach a gigabyte.
// Pages stop at max_page_bytes and link to the rest.
func TestHostileJobPageBytes(t *testing.T) {
	const n = 6
	ts := startWith(t, Options{JobWorkers: 0})
	stores := make([]string, 9000)
	for i := range stores {
		stores[i] = fmt.Sprintf("%06d%s", i, strings.Repeat("s", 90))
	}
	body, err := json.Marshal(map[string]any{"horizon": 7, "stores": stores})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	for i := range n {
		if code, _, b := rawDo(t, c, "POST", ts.base+"/v1/jobs", http.Header{"Content-Type": {"application/json"}}, body); code != 202 {
			t.Fatalf("job %d (%d bytes): %d %s", i, len(body), code, b)
		}
	}
	seen := 0
	for next := "/v1/jobs"; next != ""; {
		code, _, b := rawDo(t, c, "GET", ts.base+next, nil, nil)
		var page struct {
			Items []json.RawMessage
			Next  *string
		}
		if code != 200 || json.Unmarshal(b, &page) != nil {
			t.Fatalf("GET %s: %d", next, code)
		}
		t.Logf("GET %s: %d jobs in %d bytes", next, len(page.Items), len(b))
		if len(b) > maxPageBytes+len(body)+4096 {
			t.Errorf("GET %s: %d bytes, past %s %d by more than one job", next, len(b), limitPageBytes, maxPageBytes)
		}
		seen += len(page.Items)
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	if seen != n {
		t.Errorf("pages listed %d jobs, want %d", seen, n)
	}
}

// TestHostileJobBody: keys that differ in case only, or repeat, were
// decoded as the last one (encoding/json folds case), so a body that
// reads as horizon 7 asked for 300. A lowercase Bearer scheme is valid
// (RFC 9110 11.1) and was refused.
func TestHostileJobBody(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0, Security: SecurityOptions{Tokens: []string{"s3cret"}}})
	c := &http.Client{Timeout: 10 * time.Second}
	auth := http.Header{"Authorization": {"Bearer s3cret"}, "Content-Type": {"application/json"}}
	for _, tc := range []struct{ body, key string }{
		{`{"horizon":7,"HORIZON":300}`, "HORIZON"},
		{`{"horizon":7,"horizon":300}`, "horizon"},
		{`{"Horizon":7}`, "Horizon"},
		{`{"horizon":7,"ſtep":2}`, "ſtep"},             // the long s folds to s
		{`{"horizon":7,"top_\u212a":2}`, "top_\u212a"}, // the Kelvin sign folds to k
		{`{"horizon":7,"nope":1}`, "nope"},
	} {
		code, _, b := rawDo(t, c, "POST", ts.base+"/v1/jobs", auth, []byte(tc.body))
		var p Problem
		if code != 400 || json.Unmarshal(b, &p) != nil || !strings.Contains(p.Detail, tc.key) {
			t.Errorf("%s: %d %s, want 400 naming %q", tc.body, code, b, tc.key)
		}
	}
	for _, h := range []string{"bearer s3cret", "BEARER s3cret", "Bearer   s3cret", "bEaReR s3cret "} {
		hdr := http.Header{"Authorization": {h}, "Content-Type": {"application/json"}}
		if code, _, b := rawDo(t, c, "POST", ts.base+"/v1/jobs", hdr, []byte(`{"horizon":7}`)); code != 202 {
			t.Errorf("Authorization %q: %d %s, want 202", h, code, b)
		}
	}
	for _, h := range []string{"Basic s3cret", "Bearers3cret", "s3cret", "Bearer", "Bearer s3cre"} {
		hdr := http.Header{"Authorization": {h}, "Content-Type": {"application/json"}}
		if code, _, b := rawDo(t, c, "POST", ts.base+"/v1/jobs", hdr, []byte(`{"horizon":7}`)); code != 401 {
			t.Errorf("Authorization %q: %d %s, want 401", h, code, b)
		}
	}
	big := append([]byte(`{"horizon":7,"stores":["`), bytes.Repeat([]byte("x"), maxJobBodyBytes)...)
	code, hdr, b := rawDo(t, c, "POST", ts.base+"/v1/jobs", auth, append(big, `"]}`...))
	wantLimitProblem(t, "job body past the limit", code, hdr, b, 413, limitJobBody, strconv.Itoa(maxJobBodyBytes))
}

// TestHostileExtremeValues: a quantity of 1e308 made the chart code fail
// with 500. Such a value is now refused at upload with the limit named
// (ingest.MaxMagnitude), and series at the edges of what is accepted, of
// magnitude and of shape, render before and after a job over them. The
// chart code itself is tried on 1e308 and the largest float in
// TestChartsExtremeValues.
func TestHostileExtremeValues(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 1})
	for _, v := range []string{"1e308", strconv.FormatFloat(math.MaxFloat64, 'g', -1, 64), "-1e16", "1e15000"} {
		code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte("date,store,sku,quantity\n2025-01-01,X,bad,"+v+"\n"))
		if code != 400 || !strings.Contains(string(b), "MaxMagnitude") && !strings.Contains(string(b), "not a number") {
			t.Errorf("quantity %s: %d %s, want 400 naming the limit", v, code, clip(b, 300))
		}
	}
	limit := strconv.FormatFloat(ingest.MaxMagnitude, 'g', -1, 64)
	series := map[string]func(i int) string{
		"huge":      func(i int) string { return limit },
		"swing":     func(i int) string { return []string{limit, "0"}[i%2] },
		"negative":  func(i int) string { return []string{"-" + limit, limit}[i%2] },
		"tiny":      func(i int) string { return "1e-308" },
		"subnormal": func(i int) string { return "5e-324" },
		"zero":      func(i int) string { return "0" },
	}
	var csv strings.Builder
	csv.WriteString("date,store,sku,quantity\n")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for sku, v := range series {
		for i := range 60 {
			fmt.Fprintf(&csv, "%s,X,%s,%s\n", start.AddDate(0, 0, i).Format(time.DateOnly), sku, v(i))
		}
	}
	fmt.Fprintf(&csv, "%s,X,single,%s\n", start.Format(time.DateOnly), limit)
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(csv.String())); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	skus := []string{"single"}
	for sku := range series {
		skus = append(skus, sku)
	}
	pages := func(when string) {
		for _, sku := range skus {
			if code, _, b := ts.do("GET", "/ui/series/X/"+sku, "", nil); code != 200 {
				t.Errorf("%s: /ui/series/X/%s: %d %s", when, sku, code, clip(b, 300))
			}
		}
		if code, _, b := ts.do("GET", "/ui", "", nil); code != 200 {
			t.Errorf("%s: /ui: %d %s", when, code, clip(b, 300))
		}
	}
	pages("before a forecast")
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon":7,"models":["naive","mean","drift","ses"]}`))
	if code != 202 {
		t.Fatalf("job: %d %s", code, b)
	}
	var j struct{ ID string }
	mustDecode(t, b, &j)
	js := ts.waitFinished(j.ID, 2*time.Minute)
	t.Logf("job over the extreme series: %s %s", js.State, js.Error)
	pages("after the job")
}

// waitFinished waits until job id leaves queued and running.
func (ts *testServer) waitFinished(id string, timeout time.Duration) jobStatus {
	ts.t.Helper()
	deadline := time.Now().Add(timeout)
	var js jobStatus
	for time.Now().Before(deadline) {
		ts.getJSON("/v1/jobs/"+id, &js)
		if js.State != "queued" && js.State != "running" {
			return js
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.t.Fatalf("job %s not finished after %s: %+v", id, timeout, js)
	return js
}

// TestChartsExtremeValues renders the forecast chart over every extreme
// a series or a forecast may hold: none may fail or panic.
func TestChartsExtremeValues(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	nan, inf := math.NaN(), math.Inf(1)
	histories := map[string][]float64{
		"huge": {1e308, 1}, "swing": {1e308, -1e308}, "max": {math.MaxFloat64, -math.MaxFloat64}, "tiny": {1e-308, 0},
		"subnormal": {5e-324, 5e-324}, "zeros": {0, 0, 0}, "single": {5}, "nan": {nan, 1}, "inf": {inf, -inf},
		"constant huge": {1e308, 1e308}, "single huge": {1e308}, "constant max": {math.MaxFloat64, math.MaxFloat64},
		"near": {1e15, 1e15 + 0.125},
	}
	points := map[string]forecast.Point{
		"no intervals": {Value: 1, Lower: nan, Upper: nan, Lower95: inf, Upper95: 1},
		"huge bands":   {Value: 1e308, Lower: -math.MaxFloat64, Upper: math.MaxFloat64, Lower95: -math.MaxFloat64, Upper95: math.MaxFloat64},
		"nan":          {Value: nan, Lower: nan, Upper: nan, Lower95: nan, Upper95: nan},
		"inf":          {Value: inf, Lower: -inf, Upper: inf, Lower95: -inf, Upper95: inf},
		"zero":         {},
		"at history":   {Value: 1e308, Lower: 1e308, Upper: 1e308, Lower95: 1e308, Upper95: 1e308},
	}
	for hn, h := range histories {
		for pn, pt := range points {
			t.Run(hn+"/"+pn, func(t *testing.T) {
				s := &data.Series{Key: data.Key{Store: "S", SKU: "A"}, Freq: data.Daily, Start: start, Values: h}
				pt.Date = s.Date(len(h)).Format(time.DateOnly)
				res := &forecast.Result{Freq: data.Daily, Horizon: 1, Points: []forecast.Point{pt}}
				for _, r := range []*forecast.Result{res, nil} {
					if _, err := forecastChart(s, r, 84, nil); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
}

// TestHostileSecurityHeaders: the pages had no Content-Security-Policy,
// X-Content-Type-Options or X-Frame-Options. Every response has them
// now, refusals included; pprof is on the admin listener only.
func TestHostileSecurityHeaders(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 0, Ops: OpsOptions{AdminAddr: "127.0.0.1:0"},
		Security: SecurityOptions{Tokens: []string{"s3cret"}, PublicReads: true}})
	c := &http.Client{Timeout: 10 * time.Second}
	for _, r := range []struct{ method, path string }{{"GET", "/ui"}, {"GET", "/ui/series"}, {"GET", "/ui/series/no/such"},
		{"GET", "/v1/series"}, {"GET", "/healthz"}, {"GET", "/nowhere"}, {"POST", "/v1/jobs"}, {"GET", "/openapi.json"}} {
		code, hdr, _ := rawDo(t, c, r.method, ts.base+r.path, nil, nil)
		for h, want := range map[string]string{"Content-Security-Policy": contentSecurityPolicy,
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := hdr.Get(h); got != want {
				t.Errorf("%s %s (%d): %s %q, want %q", r.method, r.path, code, h, got, want)
			}
		}
	}
	if !strings.Contains(contentSecurityPolicy, "default-src 'none'") || strings.Contains(contentSecurityPolicy, "script-src") {
		t.Errorf("CSP %q must allow no script", contentSecurityPolicy)
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		if code, _, _ := rawDo(t, c, "GET", ts.base+p, nil, nil); code != 404 {
			t.Errorf("public listener %s: %d, want 404", p, code)
		}
		if code, _, _ := rawDo(t, c, "GET", "http://"+ts.AdminAddr()+p, nil, nil); code != 200 {
			t.Errorf("admin listener %s: %d, want 200", p, code)
		}
	}
}

// TestHostileReadBudget: two sales years apart, with covariates, cost
// every step between them times every covariate when a page loads the
// series (once ~800 MB per view). The page is refused before it loads
// past MaxReadPoints; a normal series still renders.
func TestHostileReadBudget(t *testing.T) {
	const budget = 10000
	ts := startWith(t, Options{JobWorkers: 0, Limits: Limits{MaxReadPoints: budget}})
	var csv strings.Builder
	csv.WriteString("date,store,sku,quantity")
	for i := range 10 {
		fmt.Fprintf(&csv, ",c%d", i)
	}
	csv.WriteString("\n")
	row := func(date, sku string) { fmt.Fprintf(&csv, "%s,S,%s,1%s\n", date, sku, strings.Repeat(",0", 10)) }
	row("2020-01-01", "wide") // daily from 1,096 days × 11 values: past the budget
	row("2020-01-02", "wide")
	row("2022-12-31", "wide")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 90 {
		row(start.AddDate(0, 0, i).Format(time.DateOnly), "normal")
	}
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(csv.String())); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	if code, _, b := ts.do("GET", "/ui/series/S/wide", "", nil); code != 422 || !bytes.Contains(b, []byte(limitReadPoints)) {
		t.Errorf("/ui/series/S/wide: %d %s, want 422 naming %s", code, clip(b, 300), limitReadPoints)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	code, hdr, b := rawDo(t, c, "GET", ts.base+"/ui/series/S/wide", http.Header{"Accept": {"application/json"}}, nil)
	wantLimitProblem(t, "series past the read budget", code, hdr, b, 422, limitReadPoints, strconv.Itoa(budget))
	if code, _, b := ts.do("GET", "/ui/series/S/normal", "", nil); code != 200 {
		t.Errorf("/ui/series/S/normal: %d %s", code, clip(b, 300))
	}
}

// TestLimitsDocumented checks that the README's Limits table lists every
// limit of limitTable, each with the value the constants give (its second
// cell begins with it) and what a client gets past it, and nothing else.
func TestLimitsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := bytes.Cut(readme, []byte("\n## Limits\n"))
	if !ok {
		t.Fatal("README.md has no ## Limits section")
	}
	if end := bytes.Index(section, []byte("\n## ")); end >= 0 {
		section = section[:end]
	}
	rows := map[string][]string{} // name → value and past cells
	for _, line := range strings.Split(string(section), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 3 {
			continue
		}
		rows[strings.Trim(cells[0], "`")] = cells[1:]
	}
	s := &Server{opts: Options{}}
	s.opts.defaults()
	for _, l := range s.limitTable() {
		cells, ok := rows[l.Name]
		if !ok {
			t.Errorf("README Limits table has no row `%s` (%s; %s)", l.Name, l.Value, l.Past)
			continue
		}
		delete(rows, l.Name)
		if v := cells[0]; !strings.HasPrefix(v, l.Value) || len(v) > len(l.Value) && v[len(l.Value)] != ' ' {
			t.Errorf("README Limits: `%s` is %q, want a value of %q", l.Name, v, l.Value)
		}
		if cells[1] != l.Past {
			t.Errorf("README Limits: past `%s` the README says %q, the server gives %q", l.Name, cells[1], l.Past)
		}
	}
	for name := range rows {
		t.Errorf("README Limits table lists `%s`, which limitTable does not", name)
	}
}

// TestHostileStoredBadSeries plants a series the upload checks now refuse
// (two dates 9,999 years apart, one off the daily grid) directly in the
// database, as data stored by an older version would be: its page says
// why with 422, the overview and the other series' pages still render,
// and a job leaves it out with a warning and succeeds for the rest.
func TestHostileStoredBadSeries(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 1})
	var good strings.Builder
	good.WriteString("date,store,sku,quantity\n")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 90 {
		fmt.Fprintf(&good, "%s,X,good,%d\n", start.AddDate(0, 0, i).Format(time.DateOnly), 10+i%7)
	}
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(good.String())); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	for _, ts0 := range []int64{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix(),
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2025, 1, 2, 13, 0, 0, 0, time.UTC).Unix(),
	} {
		sku := "span"
		if ts0 >= start.Unix() {
			sku = "offgrid"
		}
		if _, err := ts.store.DB().ExecContext(context.Background(),
			`INSERT INTO sales (store, sku, ts, quantity) VALUES ($1, $2, $3, $4)`, "X", sku, ts0, 1.0); err != nil {
			t.Fatal(err)
		}
	}
	for _, sku := range []string{"span", "offgrid"} {
		code, _, b := ts.do("GET", "/ui/series/X/"+sku, "", nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "cannot be shown") {
			t.Errorf("/ui/series/X/%s: %d %s, want 422 saying why", sku, code, clip(b, 300))
		}
	}
	for _, path := range []string{"/ui", "/ui/series/X/good"} {
		if code, _, b := ts.do("GET", path, "", nil); code != 200 {
			t.Errorf("%s: %d %s", path, code, clip(b, 300))
		}
	}
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon":7,"models":["naive","ses"]}`))
	if code != 202 {
		t.Fatalf("job: %d %s", code, b)
	}
	var j struct{ ID string }
	mustDecode(t, b, &j)
	ts.waitFinished(j.ID, 2*time.Minute)
	var js struct {
		State   string
		Summary struct {
			SeriesTotal int `json:"series_total"`
			Trained     int
			Excluded    int
			Warnings    []struct{ Series, Kind, Reason string }
		}
	}
	ts.getJSON("/v1/jobs/"+j.ID, &js)
	if js.State != "succeeded" || js.Summary.Excluded != 2 || js.Summary.Trained != 1 || len(js.Summary.Warnings) != 2 {
		t.Fatalf("job over one good and two bad series: %+v", js)
	}
	for _, w := range js.Summary.Warnings {
		if w.Kind != "excluded" || w.Reason == "" || (w.Series != "X/span" && w.Series != "X/offgrid") {
			t.Errorf("warning %+v", w)
		}
	}
}
