package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// openQueue opens a working queue (in-process replica) with one schedule
// that fires when its process becomes River's leader (RunOnStart), so the
// test need not wait for a cron time; the cron itself is far away.
func openQueue(t *testing.T, b jobs.Backend, dir string) (*sqlstore.Store, *jobs.Queue) {
	t.Helper()
	ctx := context.Background()
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testLog(), nil))
	runner := &jobs.Runner{Registry: models.Standard(), Guard: guard, Logger: log, Workers: 1}
	sched := jobs.Schedule{Name: "retrain", Cron: "0 3 1 1 *", RunOnStart: true,
		Params: jobs.Params{Kind: jobs.KindTrain, Horizon: 7, Models: []string{"naive", "seasonal_naive", "ses"}}}
	store, q, err := jobs.Open(ctx, b, dir, jobs.Config{Runner: runner, Work: true, Logger: log, Schedules: []jobs.Schedule{sched}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		check(t, func() error { return q.Stop(context.Background()) })
		check(t, store.Close)
	})
	return store, q
}

func ingest(t *testing.T, s *sqlstore.Store, o demo.Options) {
	t.Helper()
	if _, err := s.Ingest(context.Background(), data.Each(demo.Sales(o))); err != nil {
		t.Fatal(err)
	}
}

// waitScheduled waits for the scheduled job to succeed, then a little
// longer, and returns the scheduled jobs.
func waitScheduled(t *testing.T, s *sqlstore.Store) []*sqlstore.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		js, err := s.ListJobs(context.Background(), sqlstore.JobSucceeded, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(js) > 0 {
			time.Sleep(2 * time.Second) // a second fire would show by now
			all, err := s.ListJobs(context.Background(), "", "", 10)
			if err != nil {
				t.Fatal(err)
			}
			return all
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no scheduled job succeeded within a minute")
	return nil
}

func TestScheduleFires(t *testing.T) {
	store, q := openQueue(t, jobs.Backend{}, t.TempDir())
	ingest(t, store, demo.Options{Stores: 1, SKUs: 2, Days: 120})
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := waitScheduled(t, store)
	if len(all) != 1 || all[0].RequestID != "schedule:retrain" || all[0].Kind != jobs.KindTrain.String() || all[0].SeriesDone != 2 {
		t.Fatalf("jobs = %+v", all)
	}
	if _, err := store.GetResult(context.Background(), data.Key{Store: "S01", SKU: "SKU002"}); err != nil {
		t.Fatal(err)
	}
	infos := q.Schedules(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	if len(infos) != 1 || !infos[0].NextRun.Equal(time.Date(2027, 1, 1, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("schedules = %+v, want next run 2027-01-01T03:00Z", infos)
	}
}

// TestScheduleFiresOnceAcrossReplicas: two replicas with the same schedule
// on one PostgreSQL database; only the leader fires it.
func TestScheduleFiresOnceAcrossReplicas(t *testing.T) {
	u := newDatabase(t)
	b := jobs.Backend{DatabaseURL: u, PartitionSize: 1, RescueAfter: time.Minute}
	store, q1 := openQueue(t, b, t.TempDir())
	_, q2 := openQueue(t, b, t.TempDir())
	ingest(t, store, demo.Options{Stores: 1, SKUs: 2, Days: 120})
	for _, q := range []*jobs.Queue{q1, q2} {
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	all := waitScheduled(t, store)
	if len(all) != 1 || all[0].RequestID != "schedule:retrain" || all[0].SeriesDone != 2 {
		t.Fatalf("jobs = %+v, want one scheduled job", all)
	}
}
