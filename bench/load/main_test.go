package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/forecastd/forecastd/api"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
)

// TestLoadDuringTraining runs a short bounded load against forecastd in
// process while a training job runs, and requires every request to
// succeed. It checks correctness under concurrency, not speed: the figures
// are in README.md, measured by run.sh. The control case requests a series
// that does not exist, to show that the generator counts failures.
func TestLoadDuringTraining(t *testing.T) {
	ctx := context.Background()
	srv, err := api.New(ctx, api.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JobWorkers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + srv.Addr()
	client := newClient(8)
	defer client.CloseIdleConnections()

	obs := demo.Sales(demo.Options{Stores: 3, SKUs: 12, Days: 200})
	if _, err := srv.Store().Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	fast := `{"horizon": 7, "models": ["naive", "seasonal_naive", "ses", "ridge"], "top_k": 2, "backtest_windows": 2}`
	waitJob(t, client, base, postJob(t, client, base, fast), "succeeded")
	// A longer job runs while the load does.
	slow := postJob(t, client, base, `{"horizon": 28, "models": ["naive", "seasonal_naive", "ses", "ridge", "holt_winters_add"], "backtest_windows": 4}`)
	waitJob(t, client, base, slow, "running")

	paths, err := ForecastPaths(ctx, client, base, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 36 {
		t.Fatalf("%d series listed, want 36", len(paths))
	}
	// The load must start while the job trains; it usually outlasts the
	// job, and so also spans the job's publish transaction.
	if st := jobStateOr(client, base, slow); !strings.HasPrefix(st, "running") {
		t.Fatalf("training job %s before the load: want it running", st)
	}
	cases := []struct {
		name       string
		paths      []string
		n          int
		wantErrors int
	}{
		{"forecasts of every series", paths, 2000, 0},
		{"control: unknown series", []string{"/v1/forecasts/S99/NOPE"}, 200, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Run(ctx, client, Config{Base: base, Paths: c.paths, Requests: c.n, Concurrency: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d requests, %d errors, %.0f req/s, p50 %s, p99 %s; training job %s", res.Requests, res.Errors,
				res.Throughput(), ms(res.Quantile(0.5)), ms(res.Quantile(0.99)), jobStateOr(client, base, slow))
			if res.Requests != c.n || res.Errors != c.wantErrors {
				t.Fatalf("requests %d, errors %d (status %v, first %q); want %d, %d", res.Requests, res.Errors, res.Status, res.FirstError, c.n, c.wantErrors)
			}
		})
	}
}

// TestRunBounds checks that a run stops by itself, by count or by time,
// refuses to start unbounded, and leaves no goroutine behind.
func TestRunBounds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := serveTrivial()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	client := newClient(4)
	defer client.CloseIdleConnections()
	base := "http://" + srv.addr
	ctx := context.Background()

	if _, err := Run(ctx, client, Config{Base: base, Paths: []string{"/ok"}, Concurrency: 4}); err == nil {
		t.Fatal("an unbounded run started")
	}
	res, err := Run(ctx, client, Config{Base: base, Paths: []string{"/ok"}, Requests: 500, Concurrency: 4})
	if err != nil || res.Requests != 500 || res.Errors != 0 || res.Status[200] != 500 {
		t.Fatalf("500 requests: %+v %v", res, err)
	}
	start := time.Now()
	res, err = Run(ctx, client, Config{Base: base, Paths: []string{"/ok"}, Duration: 200 * time.Millisecond, Concurrency: 4})
	// The run ends within a request's latency of its duration; 2 s is
	// generous for a loaded shared machine.
	if err != nil || res.Requests == 0 || res.Errors != 0 || time.Since(start) > 2*time.Second {
		t.Fatalf("200 ms run: %d requests, %d errors, %v, err %v", res.Requests, res.Errors, time.Since(start), err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
}

func postJob(t *testing.T, client *http.Client, base, body string) string {
	t.Helper()
	resp, err := client.Post(base+"/v1/jobs", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // drained by the decoder
	var created struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 202 {
		t.Fatalf("post job: %s %v", resp.Status, err)
	}
	return created.ID
}

func waitJob(t *testing.T, client *http.Client, base, id, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var js struct{ State, Error string }
		if err := getJSON(context.Background(), client, base+"/v1/jobs/"+id, "", &js); err != nil {
			t.Fatal(err)
		}
		if js.State == want || want == "running" && js.State == "succeeded" {
			return
		}
		if js.State == "failed" || js.State == "cancelled" {
			t.Fatalf("job %s %s: %s", id, js.State, js.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s not %s after a minute", id, want)
}

func jobStateOr(client *http.Client, base, id string) string {
	st, err := jobState(context.Background(), client, base, "", id)
	if err != nil {
		return err.Error()
	}
	return st
}
