package jobs_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// TestQuarantineSharedAcrossWorkers: two processes (a Runner and a guard
// each) share one store. An operator's quarantine through process A (the
// API stores it and quarantines A's guard) is honoured by B on its next
// job, whose kind's window restarts; lifting it on A releases the model
// on B. A quarantine B holds only in memory is kept.
func TestQuarantineSharedAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	ingest(t, store, demo.Options{Stores: 1, SKUs: 1, Days: 120})
	newProc := func() (*jobs.Runner, *memguard.Guard) {
		return quarantiningRunner(t, store, models.Standard(), memguard.Options{GoroutineGrace: 10 * time.Millisecond})
	}
	_, guardA := newProc()
	runnerB, guardB := newProc()
	params := []byte(`{"kind": "train", "horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive", "ses"]}`)
	n := 0
	runB := func() (names []string, reason string) {
		t.Helper()
		n++
		id := "job" + string(rune('a'+n))
		if err := store.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: params}, nil); err != nil {
			t.Fatal(err)
		}
		j := execute(t, runnerB, store, id)
		if j.State != sqlstore.JobSucceeded {
			t.Fatalf("job %s: %s %s", id, j.State, j.Error)
		}
		for _, e := range result(t, store, data.Key{Store: "S01", SKU: "SKU001"}).Leaderboard {
			names = append(names, e.Name)
		}
		slices.Sort(names)
		return names, j.Memory.Reason
	}
	if got, _ := runB(); !slices.Equal(got, []string{"naive", "seasonal_naive", "ses"}) {
		t.Fatalf("first job's leaderboard %v", got)
	}
	// The operator quarantines ses through process A.
	if err := store.Quarantine(ctx, sqlstore.Quarantined{Model: "ses", Reason: "operator", Since: time.Now()}); err != nil {
		t.Fatal(err)
	}
	guardA.Quarantine("ses", "operator")
	got, reason := runB()
	if !guardB.IsQuarantined("ses") || !slices.Equal(got, []string{"naive", "seasonal_naive"}) {
		t.Fatalf("after a PUT on A, B's next job ran %v (quarantine %v)", got, guardB.Quarantined())
	}
	if !strings.Contains(reason, "window restarted") || !strings.Contains(reason, "quarantine of ses") {
		t.Errorf("B's verdict after the quarantine does not say its window restarted: %q", reason)
	}
	// A quarantine held by B alone (not stored) survives B's syncs.
	guardB.Quarantine("naive", "in memory only")
	if got, _ := runB(); !slices.Equal(got, []string{"seasonal_naive"}) || !guardB.IsQuarantined("naive") {
		t.Fatalf("B's own quarantine lost: ran %v, quarantine %v", got, guardB.Quarantined())
	}
	guardB.Unquarantine("naive")
	// The operator lifts it through A.
	if _, err := store.Unquarantine(ctx, "ses"); err != nil {
		t.Fatal(err)
	}
	guardA.Unquarantine("ses")
	got, reason = runB()
	if guardB.IsQuarantined("ses") || !slices.Equal(got, []string{"naive", "seasonal_naive", "ses"}) {
		t.Fatalf("after a DELETE on A, B's next job ran %v (quarantine %v)", got, guardB.Quarantined())
	}
	if !strings.Contains(reason, "ses back from quarantine") {
		t.Errorf("B's verdict after the release does not say its window restarted: %q", reason)
	}
}
