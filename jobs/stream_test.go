package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	dataingest "github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
)

// ingestM5 stores an M5-shaped set of stores × skus series of days days.
func ingestM5(t *testing.T, store *sqlstore.Store, stores, skus, days int) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := demo.WriteM5(context.Background(), &buf, demo.M5Options{Stores: stores, SKUs: skus, Days: days, Seed: 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Ingest(context.Background(), func(fn func(data.Observation) error) error {
		return dataingest.ParseCSV(&buf, fn)
	}); err != nil {
		t.Fatal(err)
	}
}

// runJob runs a training job of params over store with batch size batch
// and returns the job as the API shows it.
func runJob(t *testing.T, store *sqlstore.Store, id, params string, batch int) *jobs.Job {
	t.Helper()
	if err := store.CreateJob(context.Background(), &sqlstore.Job{ID: id, Kind: "train", Params: []byte(params)}, nil); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, store)
	r.Workers = 2
	r.BatchSize = batch
	return execute(t, r, store, id)
}

// publishedPoints decodes every published result's forecast points and kept
// models, by series.
func publishedPoints(t *testing.T, store *sqlstore.Store) map[data.Key]string {
	t.Helper()
	out := map[data.Key]string{}
	if err := store.ListResults(context.Background(), func(res *sqlstore.Result) error {
		var r forecast.Result
		if err := record.Result.Decode(res.Body, &r); err != nil {
			return err
		}
		b, err := json.Marshal(struct {
			P []forecast.Point
			M []forecast.KeptModel
		}{r.Points, r.Models})
		out[res.Key] = string(b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStreamedJobMatchesUnbatched trains the same series in batches of 7
// (with a store and SKU filter, so batches hold series the job does not
// select) and in one batch: every series gets the same forecast and the
// same models, and the job's counts are those of the whole job.
func TestStreamedJobMatchesUnbatched(t *testing.T) {
	params := `{"kind": "train", "horizon": 14, "top_k": 2, "windows": 2, "models": ["naive", "seasonal_naive", "ses", "croston"],
		"stores": ["ST001", "ST003"], "skus": ["FOODS_00001", "HOUSEHOLD_00002", "HOBBIES_00003", "FOODS_00004", "FOODS_00010", "HOBBIES_00012", "FOODS_00013"]}`
	var got [2]map[data.Key]string
	for i, batch := range []int{7, 1 << 20} {
		store := openStore(t)
		ingestM5(t, store, 3, 15, 200)
		j := runJob(t, store, "j", params, batch)
		if j.State != sqlstore.JobSucceeded || j.Summary == nil {
			t.Fatalf("batch %d: job %s: %s", batch, j.State, j.Error)
		}
		if j.Summary.SeriesTotal != 14 || j.SeriesTotal != 14 || j.SeriesDone != 14 {
			t.Errorf("batch %d: summary total %d, job %d/%d series, want 14", batch, j.Summary.SeriesTotal, j.SeriesDone, j.SeriesTotal)
		}
		got[i] = publishedPoints(t, store)
	}
	if len(got[0]) != 14 {
		t.Fatalf("%d results published, want 14", len(got[0]))
	}
	for k, v := range got[1] {
		if got[0][k] != v {
			t.Errorf("%s: batched %s\nunbatched %s", k, got[0][k], v)
		}
	}
}

// TestStreamedJobMemoryBounded runs, over 4,000 small stored series (40
// stores), a job of 1,000 (10 stores) and one of all 4,000: streamed, the
// peak heap of the bigger job stays within a small bound of the
// smaller's; loaded at once (one batch), it grows by the extra series,
// which shows the bound is one the test can fail.
func TestStreamedJobMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 9,000 series")
	}
	store := openStore(t)
	ingestM5(t, store, 40, 100, 60)
	var tenStores []string
	for s := 0; s < 10; s++ {
		name, _ := demo.M5Key(s, 0)
		tenStores = append(tenStores, fmt.Sprintf("%q", name))
	}
	peak := func(n, batch int) uint64 {
		params := `{"kind": "train", "horizon": 7, "top_k": 1, "windows": 1, "models": ["naive"]}`
		if n == 1000 {
			params = `{"kind": "train", "horizon": 7, "top_k": 1, "windows": 1, "models": ["naive"], "stores": [` + strings.Join(tenStores, ",") + `]}`
		}
		runtime.GC()
		var p uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				metrics.Read(s)
				p = max(p, s[0].Value.Uint64())
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		j := runJob(t, store, fmt.Sprintf("j%d_%d", n, batch), params, batch)
		close(stop)
		wg.Wait()
		if j.State != sqlstore.JobSucceeded || j.SeriesDone != n {
			t.Fatalf("%d series: job %s, %d done: %s", n, j.State, j.SeriesDone, j.Error)
		}
		return p
	}
	const bound = 5 << 20
	small, big := peak(1000, 100), peak(4000, 100)
	t.Logf("streamed: peak heap %.1f MB at 1k series, %.1f MB at 4k", float64(small)/(1<<20), float64(big)/(1<<20))
	if big > small+bound {
		t.Errorf("streamed peak heap grew %.1f MB from 1k to 4k series, want at most %.1f MB", float64(big-small)/(1<<20), float64(bound)/(1<<20))
	}
	whole := peak(4000, 1<<20)
	t.Logf("one batch: peak heap %.1f MB at 4k series", float64(whole)/(1<<20))
	if whole < small+bound {
		t.Errorf("loading 4k series at once peaked at %.1f MB, within the bound of the streamed run: the test cannot tell them apart", float64(whole)/(1<<20))
	}
}
