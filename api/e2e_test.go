package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
)

type testServer struct {
	*Server
	base string
	t    *testing.T
}

// checkClose calls close and fails t if it fails: deferred, it checks a
// Close that would otherwise be dropped.
func checkClose(t testing.TB, close func() error) {
	t.Helper()
	if err := close(); err != nil {
		t.Error(err)
	}
}

// mustDecode unmarshals the JSON b into v, failing t if it cannot.
func mustDecode(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %.300s: %v", b, err)
	}
}

// writeCSV writes records as CSV, failing t if it cannot.
func writeCSV(t testing.TB, records [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func startServer(t *testing.T, dir string, workers int) *testServer {
	t.Helper()
	return startWith(t, Options{DataDir: dir, JobWorkers: workers, ShutdownTimeout: 10 * time.Second})
}

func (ts *testServer) do(method, path, ctype string, body []byte) (int, http.Header, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.base+path, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return roundTrip(ts.t, apiClient(ts.t), req)
}

// roundTrip sends req with c and returns the answer's status, header and
// whole body, failing t if any step fails.
func roundTrip(t testing.TB, c *http.Client, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, readBody(t, resp)
}

// readBody reads and closes resp's body, failing t if either fails.
func readBody(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer checkClose(t, resp.Body.Close)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (ts *testServer) getJSON(path string, v any) int {
	ts.t.Helper()
	code, _, b := ts.do("GET", path, "", nil)
	if err := json.Unmarshal(b, v); err != nil {
		ts.t.Fatalf("GET %s: %d %s: %v", path, code, b, err)
	}
	return code
}

func demoCSV(t *testing.T, o demo.Options) []byte {
	t.Helper()
	records := [][]string{{"date", "store", "sku", "quantity", "promo"}}
	for _, ob := range demo.Sales(o) {
		records = append(records, []string{ob.Date.Format("2006-01-02"), ob.Key.Store, ob.Key.SKU,
			strconv.FormatFloat(ob.Quantity, 'f', -1, 64), strconv.FormatFloat(ob.Covariates["promo"], 'f', -1, 64)})
	}
	return writeCSV(t, records)
}

// demoPlanCSV is the promotion plan (demo.Plan) of the series
// demoCSV makes with the same options, as a POST /v1/covariates body.
func demoPlanCSV(t *testing.T, o demo.Options) []byte {
	t.Helper()
	records := [][]string{{"date", "store", "sku", "promo"}}
	for _, ob := range demo.Plan(o) {
		records = append(records, []string{ob.Date.Format("2006-01-02"), ob.Key.Store, ob.Key.SKU,
			strconv.FormatFloat(ob.Covariates["promo"], 'f', -1, 64)})
	}
	return writeCSV(t, records)
}

type jobStatus struct {
	ID          string          `json:"id"`
	State       string          `json:"state"`
	Progress    float64         `json:"progress"`
	SeriesTotal int             `json:"series_total"`
	SeriesDone  int             `json:"series_done"`
	Error       string          `json:"error"`
	Memory      json.RawMessage `json:"memory"`
	Phases      json.RawMessage `json:"phases"`
}

// waitJob polls job id every 50 ms until its state is want.
func (ts *testServer) waitJob(id string, want string, timeout time.Duration) jobStatus {
	ts.t.Helper()
	return ts.pollJob(id, want, timeout, 50*time.Millisecond)
}

func TestEndToEnd(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)

	// Upload three series of a year of daily sales.
	body := demoCSV(t, demo.Options{Stores: 1, SKUs: 3, Days: 365})
	code, _, b := ts.do("POST", "/v1/sales", "text/csv", body)
	if code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	var up struct{ Rows, Series int }
	mustDecode(t, b, &up)
	if up.Rows != 3*365 || up.Series != 3 {
		t.Fatalf("upload stats %+v", up)
	}

	// A malformed upload is refused whole, with line numbers, and stores nothing.
	bad := "date,store,sku,quantity\n2026-11-01,S01,SKU001,5\n2026-11-02,S01,SKU001,five\n2026-13-01,S01,SKU001,1\n"
	code, hdr, b := ts.do("POST", "/v1/sales", "text/csv", []byte(bad))
	if code != 400 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("bad upload: %d %s %s", code, hdr.Get("Content-Type"), b)
	}
	var prob Problem
	mustDecode(t, b, &prob)
	if len(prob.Errors) != 2 || prob.Errors[0].Line != 3 || prob.Errors[1].Line != 4 || !strings.Contains(prob.Detail, "line 3") {
		t.Fatalf("problem = %+v", prob)
	}
	if n, err := ts.Store().CountSales(context.Background()); err != nil || n != 3*365 {
		t.Fatalf("rows after bad upload = %d, %v; want %d", n, err, 3*365)
	}

	var series struct {
		Items []sqlstore.SeriesInfo `json:"items"`
	}
	ts.getJSON("/v1/series?store=S01", &series)
	if len(series.Items) != 3 || series.Items[0].Rows != 365 {
		t.Fatalf("series = %+v", series)
	}

	// Train with the default tournament.
	code, hdr, b = ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 14, "top_k": 3, "backtest_windows": 2}`))
	if code != 202 || hdr.Get("Location") == "" {
		t.Fatalf("post job: %d %s", code, b)
	}
	var created struct{ ID, State string }
	mustDecode(t, b, &created)
	if created.State != "queued" || hdr.Get("Location") != "/v1/jobs/"+created.ID {
		t.Fatalf("created = %+v, Location %q", created, hdr.Get("Location"))
	}
	js := ts.waitJob(created.ID, "succeeded", 3*time.Minute)
	if js.Progress != 1 || js.SeriesDone != 3 || js.SeriesTotal != 3 {
		t.Errorf("finished job progress %+v", js)
	}
	var phases struct {
		Load    *float64 `json:"load_seconds"`
		Train   *float64 `json:"train_seconds"`
		Publish *float64 `json:"publish_seconds"`
	}
	if err := json.Unmarshal(js.Phases, &phases); err != nil || phases.Load == nil || phases.Train == nil || *phases.Train <= 0 || phases.Publish == nil {
		t.Errorf("job phases = %s (%v)", js.Phases, err)
	}
	var mem struct {
		HeapLiveBefore   int64  `json:"heap_live_before"`
		HeapLiveAfter    int64  `json:"heap_live_after"`
		GoroutinesBefore int    `json:"goroutines_before"`
		Verdict          string `json:"verdict"`
	}
	if err := json.Unmarshal(js.Memory, &mem); err != nil || mem.HeapLiveBefore <= 0 || mem.HeapLiveAfter <= 0 || mem.GoroutinesBefore <= 0 || mem.Verdict == "" {
		t.Fatalf("job memory = %s (%v)", js.Memory, err)
	}

	var fc struct {
		Store, SKU string
		JobID      string `json:"job_id"`
		Horizon    int
		Points     []struct {
			Date                string
			Value, Lower, Upper float64
		}
		Models []struct {
			Name     string
			Weight   float64
			Backtest struct{ MASE, WAPE *float64 }
		}
	}
	if code := ts.getJSON("/v1/forecasts/S01/SKU002", &fc); code != 200 {
		t.Fatalf("forecast: %d", code)
	}
	if fc.Horizon != 14 || len(fc.Points) != 14 || len(fc.Models) != 3 || fc.JobID != created.ID {
		t.Fatalf("forecast = %+v", fc)
	}
	if fc.Points[0].Date != "2026-11-01" {
		t.Errorf("first forecast date %s, want the day after the last sale", fc.Points[0].Date)
	}
	for _, m := range fc.Models {
		if m.Backtest.MASE == nil || m.Backtest.WAPE == nil || m.Weight <= 0 {
			t.Errorf("kept model %+v lacks backtest metrics or weight", m)
		}
	}
	for _, p := range fc.Points {
		if !(p.Lower <= p.Value && p.Value <= p.Upper) {
			t.Errorf("point %+v outside its interval", p)
		}
	}

	var lb struct {
		Items []struct {
			Name  string
			Rank  int
			Kept  bool
			Error string
		}
	}
	ts.getJSON("/v1/series/S01/SKU002/leaderboard", &lb)
	kept := 0
	for _, e := range lb.Items {
		if e.Kept {
			kept++
		}
	}
	if len(lb.Items) < 6 || kept != 3 || lb.Items[0].Rank != 1 || !lb.Items[0].Kept {
		t.Fatalf("leaderboard = %+v", lb)
	}

	code, hdr, b = ts.do("GET", "/v1/forecasts/S09/NOPE", "", nil)
	if code != 404 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") || !bytes.Contains(b, []byte("S09/NOPE")) {
		t.Fatalf("unknown series: %d %s", code, b)
	}

	code, _, b = ts.do("GET", "/metrics", "", nil)
	for _, want := range []string{"forecastd_http_request_duration_seconds", "forecastd_memguard_retained_bytes", "go_gc_heap_live_bytes", "process_resident_memory_bytes",
		`forecastd_job_duration_seconds_count{kind="train",outcome="succeeded"} 1`} {
		if code != 200 || !bytes.Contains(b, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _, b := ts.do("GET", p, "", nil); code != 200 {
			t.Errorf("%s: %d %s", p, code, b)
		}
	}
}

func TestJobSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	// An API-only process queues the job; it is not worked.
	api := startServer(t, dir, 0)
	if code, _, b := api.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 1, SKUs: 4, Days: 200})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	_, _, b := api.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 7, "models": ["naive", "seasonal_naive", "ridge"], "top_k": 2}`))
	var created struct{ ID string }
	mustDecode(t, b, &created)
	time.Sleep(300 * time.Millisecond)
	var js jobStatus
	api.getJSON("/v1/jobs/"+created.ID, &js)
	if js.State != "queued" {
		t.Fatalf("job state in API-only process = %s", js.State)
	}
	if err := api.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A worker process started later on the same data finds and runs it.
	w := startServer(t, dir, 1)
	w.waitJob(created.ID, "succeeded", time.Minute)
	var fc struct{ Points []any }
	if code := w.getJSON("/v1/forecasts/S01/SKU004", &fc); code != 200 || len(fc.Points) != 7 {
		t.Fatalf("forecast after restart: %d %+v", code, fc)
	}
}

func TestShutdownRequeuesRunningJob(t *testing.T) {
	dir := t.TempDir()
	// The gate holds the job running until the server stops it; it opens
	// for the retry.
	g := newGate()
	defer g.release()
	reg := g.registry(t)
	server := func(workers int) *testServer {
		return startWith(t, Options{DataDir: dir, JobWorkers: workers, Registry: reg, ShutdownTimeout: 10 * time.Second})
	}
	a := server(1)
	if code, _, b := a.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 2, SKUs: 12, Days: 500})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	_, _, b := a.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 28, "models": ["naive", "seasonal_naive", "ridge", "ses", "mean", "drift", "gate"]}`))
	var created struct{ ID string }
	mustDecode(t, b, &created)
	a.waitJob(created.ID, "running", 30*time.Second)
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// After a graceful stop the job is queued for retry, not lost or failed.
	b2 := server(0)
	var js jobStatus
	b2.getJSON("/v1/jobs/"+created.ID, &js)
	if js.State != "queued" || !strings.Contains(js.Error, "interrupted") {
		t.Fatalf("after shutdown: %+v", js)
	}
	if _, err := b2.Store().GetResult(context.Background(), data.Key{Store: "S01", SKU: "SKU001"}); err == nil {
		t.Fatal("an interrupted job published results")
	}
	if err := b2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.release()
	c := server(1)
	done := c.waitJob(created.ID, "succeeded", 3*time.Minute)
	if done.SeriesDone != 24 {
		t.Fatalf("retried job: %+v", done)
	}
}

// testLogOutput is os.Stderr when FORECASTD_TEST_LOG is set (debugging),
// else nothing.
func testLogOutput() io.Writer {
	if os.Getenv("FORECASTD_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

func TestCancelRunningJob(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 2, SKUs: 12, Days: 500})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	_, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 28}`))
	var created struct{ ID string }
	mustDecode(t, b, &created)
	ts.waitJob(created.ID, "running", 30*time.Second)
	start := time.Now()
	code, _, b := ts.do("DELETE", "/v1/jobs/"+created.ID, "", nil)
	if code != 200 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	var js jobStatus
	ts.getJSON("/v1/jobs/"+created.ID, &js)
	if js.State != "cancelled" {
		t.Fatalf("after DELETE: %+v", js)
	}
	// The worker stops within seconds: its memory report lands, and no
	// result of the cancelled job is ever published.
	deadline := time.Now().Add(20 * time.Second)
	for len(js.Memory) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		ts.getJSON("/v1/jobs/"+created.ID, &js)
	}
	if len(js.Memory) == 0 {
		t.Fatalf("cancelled job still running after %s", time.Since(start))
	}
	t.Logf("job stopped %s after DELETE", time.Since(start).Round(time.Millisecond))
	if js.State != "cancelled" {
		t.Fatalf("state after the worker stopped: %+v", js)
	}
	if _, err := ts.Store().GetResult(context.Background(), data.Key{Store: "S01", SKU: "SKU001"}); err == nil {
		t.Fatal("a cancelled job published results")
	}
}

func TestRefreshJob(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)
	all := demo.Sales(demo.Options{Stores: 1, SKUs: 2, Days: 300})
	upload := func(obs []data.Observation) {
		var buf bytes.Buffer
		buf.WriteString("date,store,sku,quantity\n")
		for _, o := range obs {
			fmt.Fprintf(&buf, "%s,%s,%s,%g\n", o.Date.Format("2006-01-02"), o.Key.Store, o.Key.SKU, o.Quantity)
		}
		if code, _, b := ts.do("POST", "/v1/sales", "text/csv", buf.Bytes()); code != 200 {
			t.Fatalf("upload: %d %s", code, b)
		}
	}
	// Train on all but the last week, then upload the week and refresh.
	var early, late []data.Observation
	for _, o := range all {
		if o.Date.After(all[len(all)-1].Date.AddDate(0, 0, -7)) {
			late = append(late, o)
		} else {
			early = append(early, o)
		}
	}
	upload(early)
	run := func(body string) string {
		_, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(body))
		var created struct{ ID string }
		mustDecode(t, b, &created)
		ts.waitJob(created.ID, "succeeded", time.Minute)
		return created.ID
	}
	type view struct {
		JobID  string `json:"job_id"`
		Points []struct{ Date string }
		Models []struct{ Name string }
	}
	trainID := run(`{"horizon": 14, "top_k": 3, "models": ["naive", "seasonal_naive", "ses", "ridge", "holt_winters_add"]}`)
	var before view
	ts.getJSON("/v1/forecasts/S01/SKU001", &before)
	upload(late)
	refreshID := run(`{"horizon": 14, "kind": "refresh"}`)
	var after view
	ts.getJSON("/v1/forecasts/S01/SKU001", &after)
	if before.JobID != trainID || after.JobID != refreshID {
		t.Fatalf("job ids: before %s (train %s), after %s (refresh %s)", before.JobID, trainID, after.JobID, refreshID)
	}
	if len(after.Points) != 14 || after.Points[0].Date != "2026-11-01" || before.Points[0].Date != "2026-10-25" {
		t.Fatalf("refresh did not move the forecast on: before starts %s, after starts %s", before.Points[0].Date, after.Points[0].Date)
	}
	if len(after.Models) != len(before.Models) {
		t.Fatalf("refresh changed the kept models: %v -> %v", before.Models, after.Models)
	}
	for i := range after.Models {
		if after.Models[i].Name != before.Models[i].Name {
			t.Fatalf("refresh changed the kept models: %v -> %v", before.Models, after.Models)
		}
	}
}

// TestShutdownLetsInFlightRequestsFinish starts an upload, stops the
// server while the body is still arriving, and checks that the upload
// completes and is stored.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, 1)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", ts.base+"/v1/sales", pr)
	req.Header.Set("Content-Type", "text/csv")
	type result struct {
		code int
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := apiClientResponsesOnly(t).Do(req) // streamed body
		if err != nil {
			got <- result{err: err}
			return
		}
		got <- result{code: resp.StatusCode, err: resp.Body.Close()}
	}()
	if _, err := io.WriteString(pw, "date,store,sku,quantity\n2026-01-01,S1,A,1\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the request is in flight
	stopped := make(chan error, 1)
	go func() { stopped <- ts.Stop(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) before the in-flight upload finished", err)
	default:
	}
	if _, err := io.WriteString(pw, "2026-01-02,S1,A,2\n"); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || r.code != 200 {
		t.Fatalf("in-flight upload: %d %v", r.code, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	again := startServer(t, dir, 0)
	if n, err := again.Store().CountSales(context.Background()); err != nil || n != 2 {
		t.Fatalf("rows after restart = %d, %v; want 2", n, err)
	}
}

// TestStartFailureDoesNotHangStop: a Start that fails after listening
// (here: the admin listener's port is taken) must leave a Server that
// Stop shuts down promptly.
func TestStartFailureDoesNotHangStop(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer checkClose(t, busy.Close)
	srv, err := New(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JobWorkers: 1,
		Ops: OpsOptions{AdminAddr: busy.Addr().String()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err == nil {
		t.Fatal("Start succeeded with the admin port taken")
	}
	done := make(chan error, 1)
	go func() { done <- srv.Stop(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Logf("Stop after a failed Start: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Stop hangs after a failed Start")
	}
}
