package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// TestCleanTrainingJobsNoLeak runs real training jobs with clean models
// (SQLite store, tournament, staging and publishing included) and expects
// no leak verdict: memguard's rule, slow-leak condition included, against
// what a clean job of forecastd really retains.
func TestCleanTrainingJobsNoLeak(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	ingest(t, store, demo.Options{Stores: 1, SKUs: 3, Days: 120})
	r, _ := quarantiningRunner(t, store, models.Standard(), memguard.Options{GoroutineGrace: 10 * time.Millisecond})
	defer func() {
		if err := r.StopHunts(ctx); err != nil {
			t.Error(err)
		}
	}()
	params := []byte(`{"kind": "train", "horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive", "ses", "theta"]}`)
	var got []byte
	var retained []int64
	for i := 1; i <= 40; i++ {
		id := fmt.Sprintf("clean%02d", i)
		if err := store.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: params}, nil); err != nil {
			t.Fatal(err)
		}
		j := execute(t, r, store, id)
		got = append(got, j.Memory.Verdict[0])
		retained = append(retained, j.Memory.RetainedBytes)
		if j.Memory.Verdict == memguard.StateLeak {
			t.Errorf("job %d: false alarm: %s", i, j.Memory.Reason)
		}
	}
	t.Logf("verdicts %s; retained per job %v", got, retained)
}
