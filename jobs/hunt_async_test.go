package jobs_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/leaktest"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// heldStore is the real store whose LoadSeries, which only the leak hunt
// calls (jobs load through LoadSeriesExcluding), waits until release is
// closed, signalling entered first: the test holds the hunt at its start,
// outside the guard, to see what the workers do meanwhile.
type heldStore struct {
	*sqlstore.Store
	entered chan struct{}
	release chan struct{}
}

func (s *heldStore) LoadSeries(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.LoadSeries(ctx, f)
}

// heldHuntRunner opens a store with skus demo series behind a heldStore
// and a one-worker runner whose registry holds naive and the cache's
// leaky model, guarded by a memguard that names goroutine leaks fast.
func heldHuntRunner(t *testing.T, cache *leaktest.Cache, skus int) (*sqlstore.Store, *heldStore, *memguard.Guard, *jobs.Runner) {
	t.Helper()
	base := openStore(t)
	ingest(t, base, demo.Options{Stores: 1, SKUs: skus, Days: 120})
	store := &heldStore{Store: base, entered: make(chan struct{}, 1), release: make(chan struct{})}
	naive, _ := models.Standard().Lookup("naive")
	reg, err := models.NewRegistry(naive, cache.Spec("leaky"))
	if err != nil {
		t.Fatal(err)
	}
	r, guard := quarantiningRunner(t, store, reg, memguard.Options{GoroutineGrace: 10 * time.Millisecond})
	return base, store, guard, r
}

// runLeakyJob creates a train job over naive and leaky and runs it.
func runLeakyJob(t *testing.T, r *jobs.Runner, base *sqlstore.Store, id string) *jobs.Job {
	t.Helper()
	params := []byte(`{"kind": "train", "horizon": 7, "top_k": 2, "models": ["naive", "leaky"]}`)
	if err := base.CreateJob(context.Background(), &sqlstore.Job{ID: id, Kind: "train", Params: params}, nil); err != nil {
		t.Fatal(err)
	}
	return execute(t, r, base, id)
}

// runUntilLeak runs up to 15 such jobs, stopping at the first whose
// verdict is a leak: its number, 0 when none was.
func runUntilLeak(t *testing.T, r *jobs.Runner, base *sqlstore.Store) int {
	t.Helper()
	for i := 1; i <= 15; i++ {
		if j := runLeakyJob(t, r, base, "job"+string(rune('a'+i))); j.Memory.Verdict == memguard.StateLeak {
			return i
		}
	}
	return 0
}

// TestLeakHuntRunsBesideWorker: the job whose verdict starts a hunt
// returns while the hunt runs, the next job runs to the end meanwhile,
// and the hunt's result (with its duration) is stored when it ends.
func TestLeakHuntRunsBesideWorker(t *testing.T) {
	var cache leaktest.Cache
	defer cache.Release()
	ctx := context.Background()
	base, store, guard, r := heldHuntRunner(t, &cache, 2)
	defer func() {
		if err := r.StopHunts(ctx); err != nil {
			t.Error(err)
		}
	}()
	leakAt := runUntilLeak(t, r, base)
	if leakAt == 0 {
		t.Fatal("no leak verdict in 15 jobs")
	}
	// The job that saw the leak has returned; the hunt has started and
	// is held at its first step.
	select {
	case <-store.entered:
	case <-time.After(time.Minute):
		t.Fatal("no hunt started after the leak verdict")
	}
	next := runLeakyJob(t, r, base, "next")
	if next.State != sqlstore.JobSucceeded {
		t.Fatalf("job after the leak, during the hunt: %s %s", next.State, next.Error)
	}
	if hunts, err := base.ListHunts(ctx, "", 10); err != nil || len(hunts) != 0 {
		t.Fatalf("hunts stored before the hunt ended: %+v, %v", hunts, err)
	}
	if guard.IsQuarantined("leaky") {
		t.Fatal("quarantined before the hunt ran")
	}
	close(store.release)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := r.WaitHunts(wctx); err != nil {
		t.Fatal(err)
	}
	hunts, err := base.ListHunts(ctx, "", 10)
	if err != nil || len(hunts) != 1 || hunts[0].Duration <= 0 || len(hunts[0].Culprits) != 1 || hunts[0].Culprits[0] != "leaky" {
		t.Fatalf("stored hunts after the hunt: %+v, %v", hunts, err)
	}
	if !guard.IsQuarantined("leaky") {
		t.Fatal("the hunt's culprit is not quarantined")
	}
	t.Logf("leak at job %d; the next job ran during the hunt; hunt took %v", leakAt, hunts[0].Duration)
}

// TestStopHuntsCancelsHunt: stopping the runner cancels a running hunt
// and waits for its goroutine, which leaves nothing running behind.
func TestStopHuntsCancelsHunt(t *testing.T) {
	// The store's own goroutines end when the test's cleanup closes it,
	// after this check.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
	var cache leaktest.Cache
	defer cache.Release()
	ctx := context.Background()
	base, store, _, r := heldHuntRunner(t, &cache, 1)
	runUntilLeak(t, r, base)
	select {
	case <-store.entered:
	case <-time.After(time.Minute):
		t.Fatal("no hunt started")
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.StopHunts(sctx); err != nil {
		t.Fatalf("StopHunts: %v", err)
	}
	if hunts, err := base.ListHunts(ctx, "", 10); err != nil || len(hunts) != 0 {
		t.Fatalf("a cancelled hunt was stored: %+v, %v", hunts, err)
	}
}
