package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/internal/logbuf"
	"go.uber.org/goleak"
)

// records returns the JSON log records written to logs so far.
func records(t *testing.T, logs *logbuf.Buffer) []map[string]any {
	t.Helper()
	recs, err := logs.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// startOpsServer starts a server that works no jobs, logging JSON into
// logs (at debug level, to see every access line) when logs is not nil.
func startOpsServer(t *testing.T, opts Options, logs io.Writer) *testServer {
	t.Helper()
	if logs == nil {
		logs = testLogOutput()
	}
	opts.Addr, opts.DataDir, opts.JobWorkers = "127.0.0.1:0", t.TempDir(), 0
	opts.ShutdownTimeout = 10 * time.Second
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	srv, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkClose(t, func() error { return srv.Stop(context.Background()) }) })
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: srv, base: "http://" + srv.Addr(), t: t}
}

func (ts *testServer) get(path string, header http.Header) (int, http.Header, string) {
	ts.t.Helper()
	req, err := http.NewRequest("GET", ts.base+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	code, hdr, b := roundTrip(ts.t, apiClient(ts.t), req)
	return code, hdr, string(b)
}

func TestOpsRequestIDAndAccessLog(t *testing.T) {
	var logs logbuf.Buffer
	ts := startOpsServer(t, Options{}, &logs)

	cases := []struct {
		name, sent string
		keep       bool
	}{
		{"client id kept", "req-0123.abc:1", true},
		{"uuid kept", "0b6f3c2e-6a0c-4b9b-9d61-1c1f4b3f8a2e", true},
		{"absent generated", "", false},
		{"spaces replaced", "has space", false},
		{"quote replaced", `a"b`, false},
		{"too long replaced", strings.Repeat("x", maxRequestID+1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.sent != "" {
				h.Set(requestIDHeader, c.sent)
			}
			code, rh, _ := ts.get("/v1/jobs", h)
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			got := rh.Get(requestIDHeader)
			if c.keep && got != c.sent {
				t.Fatalf("X-Request-ID %q, want the client's %q", got, c.sent)
			}
			if !c.keep && (got == c.sent || len(got) != 32) {
				t.Fatalf("X-Request-ID %q, want a new 32-hex-digit ID", got)
			}
		})
	}

	// The ID reaches the handler: a job created by the request stores it.
	req, _ := http.NewRequest("POST", ts.base+"/v1/jobs", strings.NewReader(`{"horizon":7}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(requestIDHeader, "trace-job-42")
	resp, err := apiClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	checkClose(t, resp.Body.Close)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/jobs: %d", resp.StatusCode)
	}
	j, err := ts.Store().GetJob(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.RequestID != "trace-job-42" {
		t.Fatalf("job request_id %q, want trace-job-42", j.RequestID)
	}

	ts.get("/v1/series/S%2F1/X/leaderboard", nil) // 404, logged with its route template
	ts.get("/healthz", nil)

	var access []map[string]any
	for _, r := range records(t, &logs) {
		if r["msg"] == "http request" {
			access = append(access, r)
		}
	}
	find := func(route string, status float64) map[string]any {
		for _, r := range access {
			if r["route"] == route && r["status"] == status {
				return r
			}
		}
		t.Fatalf("no access line for %s with status %v in %v", route, status, access)
		return nil
	}
	r := find("/v1/jobs", 202)
	if r["method"] != "POST" || r["request_id"] != "trace-job-42" || r["level"] != "INFO" {
		t.Errorf("access line %v", r)
	}
	for _, k := range []string{"duration", "bytes", "path"} {
		if _, ok := r[k]; !ok {
			t.Errorf("access line lacks %s: %v", k, r)
		}
	}
	if b := find("/v1/series/:store/:sku/leaderboard", 404); b["path"] != "/v1/series/S%2F1/X/leaderboard" && b["path"] != "/v1/series/S/1/X/leaderboard" {
		t.Errorf("404 line path %v", b["path"])
	}
	if h := find("/healthz", 200); h["level"] != "DEBUG" {
		t.Errorf("probe access line at %v, want DEBUG", h["level"])
	}
}

func TestOpsAccessLogOff(t *testing.T) {
	var logs logbuf.Buffer
	off := false
	ts := startOpsServer(t, Options{Ops: OpsOptions{AccessLog: &off}}, &logs)
	_, h, _ := ts.get("/v1/jobs", nil)
	if h.Get(requestIDHeader) == "" {
		t.Fatal("no X-Request-ID with the access log off")
	}
	for _, r := range records(t, &logs) {
		if r["msg"] == "http request" {
			t.Fatalf("access line with the access log off: %v", r)
		}
	}
}

func TestMonitorRing(t *testing.T) {
	m := newMonitor(time.Second, 3*time.Second) // three samples
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		m.record(memSample{At: t0.Add(time.Duration(i) * time.Second), Goroutines: int64(i)})
		got := m.Samples()
		want := min(i+1, 3)
		if len(got) != want {
			t.Fatalf("after %d samples: kept %d, want %d", i+1, len(got), want)
		}
		for k, s := range got {
			if s.Goroutines != int64(i+1-want+k) {
				t.Fatalf("after %d samples: sample %d is #%d, want oldest first", i+1, k, s.Goroutines)
			}
		}
	}
}

func TestMonitorSamplesAndStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m := newMonitor(5*time.Millisecond, time.Second)
	m.Start()
	m.Start() // idempotent
	deadline := time.Now().Add(5 * time.Second)
	for len(m.Samples()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := m.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(context.Background()); err != nil {
		t.Fatal("second Stop:", err)
	}
	ss := m.Samples()
	if len(ss) < 3 {
		t.Fatalf("%d samples after 5 s at 5 ms", len(ss))
	}
	for i, s := range ss {
		if s.HeapLive <= 0 || s.GoTotal < s.HeapLive || s.Goroutines < 1 || s.RSS <= 0 {
			t.Fatalf("sample %d implausible: %+v", i, s)
		}
		if i > 0 && s.At.Before(ss[i-1].At) {
			t.Fatalf("samples out of order at %d", i)
		}
	}

	never := newMonitor(time.Second, time.Minute)
	if err := never.Stop(context.Background()); err != nil {
		t.Fatal("Stop before Start:", err)
	}
}

func TestAdminAddrCheck(t *testing.T) {
	cases := []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:6060", false, true},
		{"127.0.0.2:0", false, true},
		{"[::1]:6060", false, true},
		{"localhost:6060", false, true},
		{"0.0.0.0:6060", false, false},
		{":6060", false, false},
		{"10.1.2.3:6060", false, false},
		{"example.com:6060", false, false},
		{"0.0.0.0:6060", true, true},
		{"no-port", true, false},
	}
	for _, c := range cases {
		err := checkAdminAddr(c.addr, c.public)
		if (err == nil) != c.ok {
			t.Errorf("checkAdminAddr(%q, %v) = %v, want ok=%v", c.addr, c.public, err, c.ok)
		}
		if !c.ok && c.public == false && c.addr != "no-port" && !errors.Is(err, ErrPublicAdmin) {
			t.Errorf("checkAdminAddr(%q): %v is not ErrPublicAdmin", c.addr, err)
		}
	}
}

func TestOpsOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		o    OpsOptions
		ok   bool
	}{
		{"zero", OpsOptions{}, true},
		{"loopback admin", OpsOptions{AdminAddr: "127.0.0.1:6060"}, true},
		{"public admin", OpsOptions{AdminAddr: "0.0.0.0:6060"}, false},
		{"public admin allowed", OpsOptions{AdminAddr: "0.0.0.0:6060", AllowPublicAdmin: true}, true},
		{"negative interval", OpsOptions{MonitorInterval: -time.Second}, false},
	} {
		if err := c.o.check(); (err == nil) != c.ok {
			t.Errorf("%s: check() = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestAdminServesPprofOnlyThere(t *testing.T) {
	ts := startOpsServer(t, Options{Ops: OpsOptions{AdminAddr: "127.0.0.1:0"}}, nil)
	admin := ts.AdminAddr()
	if admin == "" {
		t.Fatal("admin listener not started")
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		resp, err := http.Get("http://" + admin + p)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, resp.Body.Close)
		if resp.StatusCode != 200 {
			t.Errorf("admin GET %s: %d", p, resp.StatusCode)
		}
		if code, _, _ := ts.get(p, nil); code != http.StatusNotFound {
			t.Errorf("main router GET %s: %d, want 404", p, code)
		}
	}
	// Nothing but pprof on the admin mux.
	resp, err := http.Get("http://" + admin + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, resp.Body.Close)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("admin GET /v1/jobs: %d, want 404", resp.StatusCode)
	}
	if err := ts.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + admin + "/debug/pprof/"); err == nil {
		t.Error("admin listener still answers after Stop")
	}
	select {
	case <-ts.ops().monitor.done:
	default:
		t.Error("memory monitor still sampling after Stop")
	}
}

func TestAdminRefusesPublicAddr(t *testing.T) {
	// startAdmin is what startOps calls; it refuses before listening.
	log := slog.New(slog.NewTextHandler(testLogOutput(), nil))
	if a, err := startAdmin("0.0.0.0:0", false, log); !errors.Is(err, ErrPublicAdmin) {
		if a != nil {
			checkClose(t, func() error { return a.Stop(context.Background()) })
		}
		t.Fatalf("startAdmin on 0.0.0.0: %v, want ErrPublicAdmin", err)
	}
	a, err := startAdmin("127.0.0.1:0", false, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
