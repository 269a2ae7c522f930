package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeAndWorker runs both services from a loaded configuration
// until their context ends: each prints where it listens, answers
// /healthz there, and stops cleanly when cancelled.
func TestServeAndWorker(t *testing.T) {
	for _, tc := range []struct {
		cmd    Command
		start  func(context.Context, Config, io.Writer, io.Writer) error
		args   []string
		before string // the address follows this in the banner
	}{
		{ServeCommand, Serve, []string{"-addr", "127.0.0.1:0", "-admin-addr", "", "-workers", "1"}, "serving on http://"},
		{WorkerCommand, Worker, []string{"-metrics-addr", "127.0.0.1:0", "-worker-name", "w1"}, "metrics on http://"},
	} {
		t.Run(string(tc.cmd), func(t *testing.T) {
			env := MapEnv(map[string]string{"FORECASTD_DATA_DIR": t.TempDir(), "FORECASTD_LOG_FORMAT": "text"})
			c, err := Load(tc.cmd, tc.args, env, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			// Files, not buffers: the service writes while the test reads.
			stdout, stderr := tempFile(t, "stdout"), tempFile(t, "stderr")
			done := make(chan error, 1)
			go func() { done <- tc.start(ctx, c, stdout, stderr) }()
			addr := waitFor(t, stdout.Name(), tc.before, done)
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("/healthz: %s", resp.Status)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("stop: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("did not stop within 30 s of its context ending")
			}
			if logs, _ := os.ReadFile(stderr.Name()); !strings.Contains(string(logs), "level=INFO msg=\"shutting down\"") {
				t.Errorf("no shutdown in the text log:\n%s", logs)
			}
		})
	}
}

func tempFile(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// waitFor returns the address printed after before in the file out.
func waitFor(t *testing.T, out, before string, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(out)
		if _, rest, ok := strings.Cut(string(b), before); ok {
			if addr, _, ok := strings.Cut(rest, "/"); ok {
				return strings.TrimSpace(strings.Fields(addr)[0])
			}
		}
		select {
		case err := <-done:
			t.Fatalf("returned before serving: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(out)
	t.Fatalf("nothing served within 30 s; stdout %q", b)
	return ""
}
