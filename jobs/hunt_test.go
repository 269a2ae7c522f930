package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/internal/leaktest"
	"github.com/forecastd/forecastd/internal/logbuf"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// TestLeakHuntQuarantinesModel runs training jobs with a leaky candidate
// until memguard calls a leak; the runner's hunt must name the model and
// quarantine it, and the next job must run without it.
func TestLeakHuntQuarantinesModel(t *testing.T) {
	var cache leaktest.Cache
	defer cache.Release()
	ctx := context.Background()
	store := openStore(t)
	ingest(t, store, demo.Options{Stores: 1, SKUs: 2, Days: 120})
	std := models.Standard()
	var specs []models.Spec
	for _, n := range []string{"naive", "seasonal_naive", "ses"} {
		s, _ := std.Lookup(n)
		specs = append(specs, s)
	}
	specs = append(specs, cache.Spec("leaky"))
	reg, err := models.NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &jobs.Runner{Store: store, Registry: reg, Guard: guard, Excluded: guard.IsQuarantined,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	params := []byte(`{"kind": "train", "horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive", "ses", "leaky"]}`)
	run := func(id string) *jobs.Job {
		if err := store.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: params}, nil); err != nil {
			t.Fatal(err)
		}
		j := execute(t, r, store, id)
		if j.Memory == nil {
			t.Fatalf("job %s: no memory summary", id)
		}
		// The hunt runs beside the worker: wait for it, as the next
		// job's candidates depend on its quarantine.
		if err := r.WaitHunts(ctx); err != nil {
			t.Fatal(err)
		}
		return j
	}
	detected := 0
	for i := 1; i <= 15 && !guard.IsQuarantined("leaky"); i++ {
		m := run("job" + string(rune('a'+i))).Memory
		t.Logf("job %d: verdict %s, retained %d B", i, m.Verdict, m.RetainedBytes)
		detected = i
	}
	if !guard.IsQuarantined("leaky") {
		t.Fatalf("leaky model not quarantined after %d jobs", detected)
	}
	t.Logf("leak called and hunted after %d jobs; quarantine: %v", detected, guard.Quarantined())
	for _, n := range []string{"naive", "seasonal_naive", "ses"} {
		if guard.IsQuarantined(n) {
			t.Errorf("clean model %s quarantined", n)
		}
	}
	checkHuntStored(t, store, "leaky")
	// The next tournament runs without the quarantined model.
	run("after")
	body := result(t, store, data.Key{Store: "S01", SKU: "SKU001"})
	if len(body.Leaderboard) != 3 {
		t.Fatalf("leaderboard after quarantine: %+v", body.Leaderboard)
	}
	for _, e := range body.Leaderboard {
		if e.Name == "leaky" {
			t.Fatal("quarantined model ran")
		}
	}
}

// checkHuntStored checks that the hunt and the quarantine of culprit
// were persisted: the hunt's record lists every candidate with its
// verdict and names the culprit.
func checkHuntStored(t *testing.T, store *sqlstore.Store, culprit string) {
	t.Helper()
	ctx := context.Background()
	q, err := store.QuarantineList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Model != culprit || q[0].Reason == "" || q[0].Since.IsZero() {
		t.Fatalf("stored quarantine = %+v", q)
	}
	hunts, err := store.ListHunts(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hunts) != 1 || len(hunts[0].Culprits) != 1 || hunts[0].Culprits[0] != culprit || hunts[0].Duration <= 0 || hunts[0].Kind != "train" {
		t.Fatalf("stored hunts = %+v", hunts)
	}
	h, err := store.GetHunt(ctx, hunts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var res memguard.HuntResult
	if err := record.Hunt.Decode(h.Body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Candidates) != 4 || len(res.Culprits) != 1 || res.Culprits[0] != culprit {
		t.Fatalf("stored hunt result: culprits %v, %d candidates", res.Culprits, len(res.Candidates))
	}
}

// TestRefreshRespectsQuarantine: a refresh leaves a quarantined kept
// model out and re-weights the others; when every kept model is
// quarantined, the series keeps its published forecast with a warning.
func TestRefreshRespectsQuarantine(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	ingest(t, store, demo.Options{Stores: 1, SKUs: 1, Days: 120})
	r, guard := quarantiningRunner(t, store, models.Standard(), memguard.Options{})
	run := func(id, params string) *jobs.Job {
		t.Helper()
		if err := store.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: []byte(params)}, nil); err != nil {
			t.Fatal(err)
		}
		return execute(t, r, store, id)
	}
	key := data.Key{Store: "S01", SKU: "SKU001"}
	run("train", `{"kind": "train", "horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive", "ses"]}`)
	_, kept := published(t, store, key)
	if len(kept) != 2 {
		t.Fatalf("kept %d models, want 2", len(kept))
	}

	guard.Quarantine(kept[0].Name, "test")
	run("refresh1", `{"kind": "refresh", "horizon": 7}`)
	res, keptAfter := published(t, store, key)
	if res.JobID != "refresh1" || len(keptAfter) != 2 {
		t.Fatalf("refresh with one model quarantined: job %s, %d kept on record", res.JobID, len(keptAfter))
	}
	// The refreshed forecast is the remaining model's alone.
	var body forecast.Result
	if err := record.Result.Decode(res.Body, &body); err != nil {
		t.Fatal(err)
	}
	alone, err := forecast.Refresh(ctx, loadOne(t, store, key), &body, kept[1:], models.Standard())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := body.Points[0].Value, alone.Result.Points[0].Value; got != want {
		t.Fatalf("refreshed point %v, want %v from %s alone", got, want, kept[1].Name)
	}

	guard.Quarantine(kept[1].Name, "test")
	j := run("refresh2", `{"kind": "refresh", "horizon": 7}`)
	res, _ = published(t, store, key)
	if res.JobID != "refresh1" {
		t.Fatalf("all kept models quarantined: published by %s, want refresh1 kept", res.JobID)
	}
	if j.State != sqlstore.JobSucceeded || !strings.Contains(j.Error, "quarantined") {
		t.Fatalf("job %s: %q", j.State, j.Error)
	}
	if j.Summary == nil || len(j.Summary.Warnings) != 1 || j.Summary.Warnings[0].Kind != jobs.WarnQuarantined {
		t.Fatalf("summary = %+v", j.Summary)
	}
}

func published(t *testing.T, store *sqlstore.Store, k data.Key) (*sqlstore.Result, []forecast.Kept) {
	t.Helper()
	var res *sqlstore.Result
	err := store.ListResults(context.Background(), func(r *sqlstore.Result) error {
		if r.Key == k {
			res = r
		}
		return nil
	})
	if err != nil || res == nil {
		t.Fatalf("result of %s: %v", k, err)
	}
	var kept []forecast.Kept
	if err := record.Kept.Decode(res.Models, &kept); err != nil {
		t.Fatal(err)
	}
	return res, kept
}

func loadOne(t *testing.T, store *sqlstore.Store, k data.Key) *data.Series {
	t.Helper()
	ss, err := store.LoadSeries(context.Background(), sqlstore.SeriesFilter{Stores: []string{k.Store}, SKUs: []string{k.SKU}})
	if err != nil || len(ss) != 1 {
		t.Fatalf("load %s: %v", k, err)
	}
	return ss[0]
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
	var logs logbuf.Buffer
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
