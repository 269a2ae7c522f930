package jobs_test

import (
	"bytes"
	"context"
	"math"
	"strconv"
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

// TestScaleOutIdentityM5 (issue 20): the default tournament (global
// candidates included) with h=28 over an M5-shaped set (intermittent
// counts, launches mid-history, price and promo covariates) gives every
// series the same forecast, every step and both interval bounds within
// 1e-9, from two worker processes over PostgreSQL as from one process
// training it in streamed batches over SQLite. The batches and the
// partitions cut the job differently (4 batches of 20, 40 partitions of
// the cost plan): the global candidates' models are the job's pool
// (jobs/pool.go), the same whichever way the job is cut. Both workers
// ran some partitions, and the job JSON says so.
func TestScaleOutIdentityM5(t *testing.T) {
	const stores, skus, days, batch = 2, 40, 150, 20
	var csv bytes.Buffer
	if _, err := demo.WriteM5(context.Background(), &csv, demo.M5Options{Stores: stores, SKUs: skus, Days: days, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	ingest := func(store *sqlstore.Store) []data.Key {
		var keys []data.Key
		if _, err := store.Ingest(context.Background(), func(fn func(data.Observation) error) error {
			return dataingest.ParseCSV(bytes.NewReader(csv.Bytes()), func(o data.Observation) error {
				if len(keys) == 0 || keys[len(keys)-1] != o.Key {
					keys = append(keys, o.Key)
				}
				return fn(o)
			})
		}); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	const params = `{"kind": "train", "horizon": 28}`

	// One process, streamed in batches.
	ref := openStore(t)
	keys := ingest(ref)
	if len(keys) != stores*skus {
		t.Fatalf("%d series ingested, want %d", len(keys), stores*skus)
	}
	if err := ref.CreateJob(context.Background(), &sqlstore.Job{ID: "one", Kind: "train", Params: []byte(params)}, nil); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, ref)
	r.BatchSize = batch
	if j := execute(t, r, ref, "one"); j.State != sqlstore.JobSucceeded {
		t.Fatalf("one-process job = %+v", j)
	}
	want := map[data.Key]points{}
	for _, k := range keys {
		want[k] = resultPoints(t, ref, k)
	}

	// Two worker processes over PostgreSQL.
	dbURL := newDatabase(t)
	apiSrv := startServer(t, jobs.Backend{DatabaseURL: dbURL}, 0)
	ingest(apiSrv.Store())
	env := "FORECASTD_TEST_BATCH_SIZE=" + strconv.Itoa(batch)
	startWorker(t, dbURL, "w1", env)
	startWorker(t, dbURL, "w2", env)
	id := apiSrv.postJob(`{"horizon": 28}`)
	row := apiSrv.waitJob(id, 4*time.Minute, nil)
	got := apiSrv.forecasts(keys, id)

	var maxDiff float64
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) || len(w) != 28 {
			t.Fatalf("%s: %d points, want %d (28)", k, len(g), len(w))
		}
		for i := range w {
			maxDiff = max(maxDiff, math.Abs(g[i].Value-w[i].Value), math.Abs(g[i].Lower-w[i].Lower), math.Abs(g[i].Upper-w[i].Upper))
		}
	}
	t.Logf("%d series x 28 steps: max abs difference %.3g (values and interval bounds)", len(want), maxDiff)
	sameForecasts(t, got, want)

	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	f := j.Summary.FanOut
	if f == nil {
		t.Fatalf("job summary has no fan_out: %+v", j.Summary)
	}
	t.Logf("plan %s: %d partitions, workers %v, longest %.1fs of a %.1fs span (%.0f%%)",
		f.Plan, f.Partitions, f.Workers, f.LongestSeconds, f.SpanSeconds, 100*f.LongestShare)
	if f.Plan != "cost" || f.Partitions < 40 || len(f.Timings) != f.Partitions {
		t.Errorf("fan_out = %+v, want at least 40 partitions of the cost plan, each timed", f)
	}
	if len(f.Workers) != 2 || len(f.Failovers) != 0 {
		t.Errorf("fan_out workers %v, failovers %+v: want both workers and no failover", f.Workers, f.Failovers)
	}
	series := 0
	for _, tm := range f.Timings {
		series += tm.Series
		if tm.Seconds <= 0 || tm.Seconds > f.SpanSeconds || tm.Worker == "" || tm.Cost <= 0 {
			t.Errorf("timing %+v", tm)
		}
	}
	if series != len(keys) {
		t.Errorf("timings cover %d series, want %d", series, len(keys))
	}
}

// resultPoints decodes the published forecast of k in store.
func resultPoints(t *testing.T, store *sqlstore.Store, k data.Key) points {
	t.Helper()
	res, err := store.GetResult(context.Background(), k)
	if err != nil {
		t.Fatalf("forecast of %s: %v", k, err)
	}
	var r forecast.Result
	if err := record.Result.Decode(res.Body, &r); err != nil || len(r.Points) == 0 {
		t.Fatalf("forecast of %s: %s (%v)", k, res.Body, err)
	}
	var out points
	for _, p := range r.Points {
		out = append(out, struct{ Value, Lower, Upper float64 }{p.Value, p.Lower, p.Upper})
	}
	return out
}
