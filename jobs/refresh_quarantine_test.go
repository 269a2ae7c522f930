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
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// TestRefreshRespectsQuarantine: a refresh leaves a quarantined kept
// model out and re-weights the others; when every kept model is
// quarantined, the series keeps its published forecast with a warning.
func TestRefreshRespectsQuarantine(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer check(t, store.Close)
	ingest(t, store, demo.Options{Stores: 1, SKUs: 1, Days: 120})
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &jobs.Runner{Store: store, Registry: models.Standard(), Guard: guard, Excluded: guard.IsQuarantined, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
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
