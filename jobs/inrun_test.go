package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/leaktest"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// lockedBuffer is a log sink safe for the runner's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTrainCheckpointsFlagLeakWithinJob: a training job whose candidate
// leaks on every fit is flagged by the runner's in-run checkpoints in
// its first run (no week of nights needed), logged with the job's
// models, and the in-run judgement joins the job's verdict.
func TestTrainCheckpointsFlagLeakWithinJob(t *testing.T) {
	var cache leaktest.Cache
	defer cache.Release()
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer check(t, store.Close)
	ingest(t, store, demo.Options{Stores: 1, SKUs: 48, Days: 90})
	naive, _ := models.Standard().Lookup("naive")
	reg, err := models.NewRegistry(naive, cache.Spec("leaky"))
	if err != nil {
		t.Fatal(err)
	}
	// Measure at every call: the job is too short for 8 settlings
	// within the default 2 % of its time.
	guard, err := memguard.New(memguard.Options{CheckpointOverhead: 1})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	r := &jobs.Runner{Store: store, Registry: reg, Guard: guard, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	params := []byte(`{"kind": "train", "horizon": 7, "top_k": 2, "models": ["naive", "leaky"]}`)
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "j1", Kind: "train", Params: params}, nil); err != nil {
		t.Fatal(err)
	}
	j := execute(t, r, store, "j1")
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "memory leak within the job") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no in-run leak logged; logs:\n%s", logs.String())
	}
	for _, want := range []string{"resource=in_run", "leaky", "series_staged="} {
		if !strings.Contains(line, want) {
			t.Errorf("leak log %q lacks %q", line, want)
		}
	}
	if j.Memory == nil || j.Memory.Verdict != memguard.StateLeak {
		t.Errorf("job memory summary %+v, want verdict leak from the in-run checkpoints", j.Memory)
	}
}
