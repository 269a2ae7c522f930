package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/forecastd/forecastd/jobs"
)

// TestWorkerLifecycle starts a worker with its metrics listener, reads
// /healthz and /metrics, and stops it: every goroutine it started ends.
func TestWorkerLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	w, err := jobs.NewWorker(ctx, jobs.WorkerOptions{DataDir: t.TempDir(), Addr: "127.0.0.1:0",
		Backend: jobs.Backend{WorkerName: "w-test"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for path, want := range map[string]string{"/healthz": `"worker":"w-test"`, "/metrics": "process_resident_memory_bytes"} {
		resp, err := client.Get("http://" + w.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		check(t, resp.Body.Close)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d, want %q in %.300s", path, resp.StatusCode, want, b)
		}
	}
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}
